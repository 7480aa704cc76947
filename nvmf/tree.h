/* tree.h - BSD red-black trees (libbsd's <bsd/sys/tree.h>, the macros tmux and OpenBSD use)
 * without libbsd's overlay mode, which would replace the C library's own headers. Include
 * it after the system headers: it defines the __unused its static variants expect. */
#ifndef NVMF_TREE_H
#define NVMF_TREE_H

#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
#include <bsd/sys/tree.h>

#endif
