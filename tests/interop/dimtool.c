/* dimtool.c - a DDC and an inventory reader for the interop tests, built on the userspace
 * host: register a subsystem port with DIM as a DDC would, or print log 71h.
 *   dimtool register ADDR PORT EID SUBNQN TRADDR TRSVCID
 *   dimtool hostlog ADDR PORT */
#include <arpa/inet.h>
#include <event2/event.h>
#include <nvme/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmf_host.h"

struct wait {
	bool done;
	int err;
	struct nvme_cqe cqe;
	uint8_t *data;
	uint32_t len;
};

static void done_cb(struct nvmf_host *h, int err, const struct nvme_cqe *cqe, const uint8_t *data,
		    uint32_t len, void *arg)
{
	struct wait *w = arg;

	(void)h;
	w->done = true;
	w->err = err;
	if (cqe)
		w->cqe = *cqe;
	if (data && len) {
		w->data = malloc(len);
		if (w->data) {
			memcpy(w->data, data, len);
			w->len = len;
		}
	}
}

static int wait_for(struct event_base *base, struct wait *w, const char *what)
{
	while (!w->done)
		if (event_base_loop(base, EVLOOP_ONCE) < 0)
			break;
	if (w->err || w->cqe.status) {
		fprintf(stderr, "dimtool: %s failed: err %d status 0x%x\n", what, w->err,
			w->cqe.status);
		return 1;
	}
	return 0;
}

static void put_str(uint8_t *p, const char *s)
{
	memcpy(p, s, strlen(s));
}

static size_t ddc_register_data(uint8_t *buf, const char *eid, const char *subnqn,
				const char *traddr, const char *trsvcid)
{
	memset(buf, 0, 2048);
	put_le32(buf, 2048);
	put_le64(buf + 8, 1);
	put_le16(buf + 16, NVMF_DIM_ENTFMT_BASIC);
	put_le16(buf + 18, NVMF_DIM_ETYPE_DDC);
	put_le16(buf + 22, 0x5f);
	put_str(buf + 24, eid);
	put_str(buf + 280, "dimtool");
	uint8_t *e = buf + 1024;
	e[0] = NVMF_TRTYPE_TCP;
	e[1] = strchr(traddr, ':') ? NVMF_ADDR_FAMILY_IP6 : NVMF_ADDR_FAMILY_IP4;
	e[2] = NVME_NQN_NVME;
	put_le16(e + 4, 1);
	put_le16(e + 6, 0xffff);
	put_le16(e + 8, 32);
	put_str(e + 32, trsvcid);
	put_str(e + 256, subnqn);
	put_str(e + 512, traddr);
	return 2048;
}

static void print_hostlog(const uint8_t *log, uint32_t len)
{
	size_t off = 1024;

	for (uint64_t i = 0; i < get_le64(log + 8) && off + 1032 <= len; i++) {
		const uint8_t *e = log + off;
		printf("host %s traddr %s%s\n", (const char *)e + 256, (const char *)e + 512,
		       get_le16(e + 10) & NVMF_DISC_EFLAGS_NCC ? " ncc" : "");
		off += get_le32(e + 1024);
	}
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "register") && strcmp(argv[1], "hostlog"))) {
		fprintf(stderr, "usage: dimtool register ADDR PORT EID SUBNQN TRADDR TRSVCID\n"
				"       dimtool hostlog ADDR PORT\n");
		return 2;
	}
	bool reg = !strcmp(argv[1], "register");
	if (reg && argc != 8)
		return 2;

	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3]))};
	if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
		return 2;
	struct event_base *base = event_base_new();
	struct nvmf_host_opts opts = {.hostnqn = reg ? argv[4] : "nqn.2014-08.org.example:dimtool",
				      .kato_ms = 10000};
	struct nvmf_host *h = nvmf_host_new(base, &opts);
	struct wait w = {0};
	int rc = 1;

	if (nvmf_host_connect(h, (struct sockaddr *)&sa, sizeof(sa), done_cb, &w) ||
	    wait_for(base, &w, "connect"))
		goto out;
	w = (struct wait){0};
	if (reg) {
		static uint8_t buf[2048];
		struct nvme_sqe sqe = {.opcode = nvme_admin_discovery_info_mgmt};
		size_t len = ddc_register_data(buf, argv[4], argv[5], argv[6], argv[7]);
		if (nvmf_host_submit(h, &sqe, buf, (uint32_t)len, 0, done_cb, &w) ||
		    wait_for(base, &w, "DIM register"))
			goto out;
		printf("registered %s at %s:%s as %s\n", argv[5], argv[6], argv[7], argv[4]);
	} else {
		if (nvmf_host_get_log(h, 0x71, 0, false, 0, 64 * 1024, done_cb, &w) ||
		    wait_for(base, &w, "get log 71h"))
			goto out;
		print_hostlog(w.data, w.len);
	}
	rc = 0;
out:
	free(w.data);
	nvmf_host_free(h);
	event_base_free(base);
	return rc;
}
