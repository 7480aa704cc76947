/* state.c - the state directory and the unique discovery NQN it keeps. The NQN is written
 * to a temporary file, synced and renamed, so a crash never leaves a half-written name. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

int state_dir_prepare(const char *dir)
{
	char path[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -EINVAL;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* A regular file, opened without waiting on a FIFO; -ENOENT (not logged) if there is none. */
static int regular_open(const char *file, struct stat *st)
{
	int fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		if (errno != ENOENT)
			log_err("%s: %s", file, strerror(errno));
		return -errno;
	}
	if (fstat(fd, st) < 0) {
		int err = -errno;
		log_err("%s: %s", file, strerror(-err));
		close(fd);
		return err;
	}
	if (!S_ISREG(st->st_mode)) {
		log_err("%s: not a regular file", file);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* The file holds one line, the NQN, and nothing else: a longer one is refused rather than
 * cut to the 223 bytes an NQN may have (which would be another NQN). Logs why not. */
static int nqn_read(const char *file, char *nqn, size_t size)
{
	char buf[CDC_NQN_MAX + 64];
	struct stat st;
	int fd = regular_open(file, &st);

	if (fd < 0)
		return fd;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		int err = -errno;
		log_err("%s: %s", file, strerror(-err));
		close(fd);
		return err;
	}
	close(fd);
	size_t len = (size_t)n;
	buf[len] = 0;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = 0;
	if (st.st_size > (off_t)CDC_NQN_MAX + 2 || len > CDC_NQN_MAX) {
		log_err("%s: %lld bytes, longer than an NQN (at most %d): not used", file,
			(long long)st.st_size, CDC_NQN_MAX);
		return -ENAMETOOLONG;
	}
	if (len >= size || strlen(buf) != len || !nqn_is_valid(buf)) {
		log_err("%s: does not hold a valid NQN", file);
		return -EINVAL;
	}
	memcpy(nqn, buf, len + 1);
	return 0;
}

static int nqn_generate(char *nqn, size_t size)
{
	uint8_t u[16];

	if (getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u))
		return -EIO;
	u[6] = (u[6] & 0x0f) | 0x40; /* RFC 4122 version 4 */
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(nqn, size,
		 "nqn.2014-08.org.nvmexpress:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
	return 0;
}

static int nqn_write(const char *dir, const char *file, const char *nqn)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	size_t len = strlen(nqn);
	int err = 0;
	if (write(fd, nqn, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) < 0)
		err = errno ? -errno : -EIO;
	close(fd);
	if (!err && rename(tmp, file) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* The UUID NQN in dir/name, made and kept there the first time. */
static int uuid_load(const char *dir, const char *name, const char *what, char *nqn, size_t size)
{
	char file[4100];
	int err;

	snprintf(file, sizeof(file), "%s/%s", dir, name);
	err = nqn_read(file, nqn, size);
	if (err != -ENOENT)
		return err; /* nqn_read() said why */
	err = nqn_generate(nqn, size);
	if (!err)
		err = nqn_write(dir, file, nqn);
	if (err) {
		log_err("cannot create %s: %s", file, strerror(-err));
		return err;
	}
	log_info("generated %s %s (kept in %s)", what, nqn, file);
	return 0;
}

int state_nqn_load(const char *dir, char *nqn, size_t size)
{
	return uuid_load(dir, "nqn", "the unique discovery NQN", nqn, size);
}

int state_instance_load(const char *dir, char *id, size_t size)
{
	return uuid_load(dir, "instance", "this instance's identity", id, size);
}

int state_store_check(const char *path)
{
	struct stat st;
	int fd = regular_open(path, &st);

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	close(fd);
	if (st.st_size == 0) {
		log_err("%s is empty (0 bytes): it held the registrations; not starting with none. "
			"Restore it from a backup, or remove it to start afresh",
			path);
		return -ENODATA;
	}
	return 0;
}
