/* auth_keys.c - read the DH-HMAC-CHAP keys file (see auth_keys.h and cdcd.conf(5)).
 * Every buffer that held a line of the file is wiped: the lines are secrets. */
#include "auth_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYS_FILE_MAX (16u << 20)

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static char *trim(char *s)
{
	char *e = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int host_cmp(const void *a, const void *b)
{
	return strcmp(((const struct auth_host *)a)->nqn, ((const struct auth_host *)b)->nqn);
}

/* What a section said, to check it once it ends. */
struct section_seen {
	bool key, require_set;
};

static int section_end(struct auth_keys *k, const struct section_seen *seen, const char *name,
		       unsigned int line, char *err, size_t errlen)
{
	struct auth_host *h;

	if (!k->nhosts)
		return 0;
	h = &k->hosts[k->nhosts - 1];
	if (!seen->require_set)
		h->require = seen->key;
	if (!seen->key && (h->require || h->has_ctrl_key))
		return fail(err, errlen, "%s:%u: [host %s] needs a dhchap-key", name, line, h->nqn);
	return 0;
}

int auth_keys_parse(struct auth_keys *out, const char *name, const char *buf, size_t len, char *err,
		    size_t errlen)
{
	struct auth_keys k = {0};
	struct section_seen seen = {0};
	char *copy = malloc(len + 1);
	unsigned int line = 0;
	int r = -EINVAL;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	copy[len] = 0;
	if (memchr(buf, 0, len)) {
		r = fail(err, errlen, "%s: not a text file", name);
		goto out;
	}
	for (char *s = copy, *nl; s && *s; s = nl) {
		nl = strchr(s, '\n');
		if (nl)
			*nl++ = 0;
		line++;
		char *t = trim(s);
		if (!*t || *t == '#' || *t == ';')
			continue;
		if (*t == '[') {
			char *e = strchr(t, ']');
			if (!e || *trim(e + 1) || strncmp(t, "[host ", 6) != 0) {
				r = fail(err, errlen, "%s:%u: expected [host NQN]", name, line);
				goto out;
			}
			*e = 0;
			char *nqn = trim(t + 6);
			if (section_end(&k, &seen, name, line, err, errlen))
				goto out;
			if (!nqn_is_valid(nqn)) {
				r = fail(err, errlen, "%s:%u: '%.*s' is not a valid NQN", name,
					 line, 96, nqn);
				goto out;
			}
			struct auth_host *h = realloc(k.hosts, (k.nhosts + 1) * sizeof(*h));
			if (!h) {
				r = -ENOMEM;
				goto out;
			}
			k.hosts = h;
			h = &k.hosts[k.nhosts++];
			memset(h, 0, sizeof(*h));
			snprintf(h->nqn, sizeof(h->nqn), "%s", nqn);
			seen = (struct section_seen){0};
			continue;
		}
		char *eq = strchr(t, '=');
		if (!eq) {
			r = fail(err, errlen, "%s:%u: expected KEY = VALUE", name, line);
			goto out;
		}
		*eq = 0;
		char *key = trim(t), *val = trim(eq + 1);
		if (!k.nhosts) {
			r = fail(err, errlen, "%s:%u: '%.*s' outside a [host NQN] section", name,
				 line, 64, key);
			goto out;
		}
		struct auth_host *h = &k.hosts[k.nhosts - 1];
		if (!strcasecmp(key, "dhchap-key") || !strcasecmp(key, "dhchap-ctrl-key")) {
			bool ctrl = !strcasecmp(key, "dhchap-ctrl-key");
			int pr = dhchap_secret_parse(val, ctrl ? &h->ctrl_key : &h->key);
			if (pr) {
				/* Say what is wrong with it, never what it is. */
				r = fail(err, errlen, "%s:%u: %s of [host %s] is %s", name, line,
					 key, h->nqn,
					 pr == -EBADMSG
						 ? "damaged (CRC mismatch)"
						 : "not a DHHC-1 secret of 32, 48 or 64 bytes");
				goto out;
			}
			if (ctrl)
				h->has_ctrl_key = true;
			else
				seen.key = true;
		} else if (!strcasecmp(key, "require-auth")) {
			if (parse_bool(val, &h->require)) {
				r = fail(err, errlen, "%s:%u: bad require-auth '%.*s' (yes or no)",
					 name, line, 32, val);
				goto out;
			}
			seen.require_set = true;
		} else {
			r = fail(err, errlen, "%s:%u: unknown key '%.*s' in [host %s]", name, line,
				 64, key, h->nqn);
			goto out;
		}
	}
	if (section_end(&k, &seen, name, line, err, errlen))
		goto out;
	/* Sorted, so a Connect finds its host in log time among 100,000 of them. */
	if (k.nhosts)
		qsort(k.hosts, k.nhosts, sizeof(*k.hosts), host_cmp);
	for (size_t i = 1; i < k.nhosts; i++) {
		if (!strcmp(k.hosts[i - 1].nqn, k.hosts[i].nqn)) {
			r = fail(err, errlen, "%s: duplicate [host %s]", name, k.hosts[i].nqn);
			goto out;
		}
	}
	*out = k;
	k = (struct auth_keys){0};
	r = 0;
out:
	OPENSSL_cleanse(copy, len + 1);
	free(copy);
	auth_keys_free(&k);
	return r;
}

int auth_keys_load(struct auth_keys *out, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		r = -EINVAL;
		goto out;
	}
	/* As ssh does with private keys: a secret others could read is no longer a secret. */
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s: mode %03o lets others read the secrets; it must be 0600",
			 path, (unsigned int)(st.st_mode & 0777));
		r = -EPERM;
		goto out;
	}
	if ((size_t)st.st_size > KEYS_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, KEYS_FILE_MAX);
		r = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: read failed", path);
			goto out;
		}
		len += (size_t)n;
	}
	r = auth_keys_parse(out, path, buf, len, err, errlen);
out:
	if (buf) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	close(fd);
	return r;
}

const struct auth_host *auth_keys_find(const struct auth_keys *keys, const char *hostnqn)
{
	size_t lo = 0, hi = keys ? keys->nhosts : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(hostnqn, keys->hosts[mid].nqn);
		if (!c)
			return &keys->hosts[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void auth_keys_free(struct auth_keys *keys)
{
	if (keys->hosts)
		OPENSSL_cleanse(keys->hosts, keys->nhosts * sizeof(*keys->hosts));
	free(keys->hosts);
	keys->hosts = NULL;
	keys->nhosts = 0;
}
