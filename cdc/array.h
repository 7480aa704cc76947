/* array.h - room for one more element in a malloc'ed array that grows by doubling: the
 * one way the daemon's appendable arrays grow. */
#ifndef CDC_ARRAY_H
#define CDC_ARRAY_H

#include <stdint.h>
#include <stdlib.h>

/* arr (cap elements of size bytes, n in use) with room for element n: arr itself, or
 * a larger copy with *cap updated (first elements the first time). NULL when out of memory
 * or past SIZE_MAX; arr is then unchanged and still the caller's. */
static inline void *array_grow(void *arr, size_t *cap, size_t n, size_t size, size_t first)
{
	if (n < *cap)
		return arr;
	size_t ncap = *cap ? *cap * 2 : first;
	if (ncap > SIZE_MAX / size)
		return NULL;
	void *na = realloc(arr, ncap * size);
	if (na)
		*cap = ncap;
	return na;
}

#endif
