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

static int nqn_read(const char *file, char *nqn, size_t size)
{
	FILE *f = fopen(file, "r");

	if (!f)
		return -errno;
	char *ok = fgets(nqn, (int)size, f);
	fclose(f);
	if (!ok)
		return -EINVAL;
	nqn[strcspn(nqn, "\r\n")] = 0;
	return nqn_is_valid(nqn) ? 0 : -EINVAL;
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

int state_nqn_load(const char *dir, char *nqn, size_t size)
{
	char file[4100];
	int err;

	snprintf(file, sizeof(file), "%s/nqn", dir);
	err = nqn_read(file, nqn, size);
	if (err == 0)
		return 0;
	if (err != -ENOENT) {
		log_err("%s: %s", file,
			err == -EINVAL ? "does not hold a valid NQN" : strerror(-err));
		return err;
	}
	err = nqn_generate(nqn, size);
	if (!err)
		err = nqn_write(dir, file, nqn);
	if (err) {
		log_err("cannot create %s: %s", file, strerror(-err));
		return err;
	}
	log_info("generated the unique discovery NQN %s (kept in %s)", nqn, file);
	return 0;
}
