/* dimtool.c - a DDC and an inventory reader for the interop and metrics tests, built on the
 * userspace host: register a subsystem port with DIM as a DDC would, print log 71h, or
 * wait as a persistent host for one discovery log change AEN.
 *   dimtool register ADDR PORT EID SUBNQN TRADDR TRSVCID
 *   dimtool deregister ADDR PORT EID SUBNQN TRADDR TRSVCID
 *   dimtool hostlog ADDR PORT
 *   dimtool aer ADDR PORT   (reads 4 KiB of log 70h, arms, prints "armed", then the AEN)
 *   dimtool kickstart ADDR PORT [NUMDIE] TRADDR:TRSVCID...  (a DDC's Kickstart: ICReq, KDReq
 *                           naming where to pull from, prints the KDResp) */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <nvme/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dim.h"
#include "kickstart.h"
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

static size_t ddc_register_data(uint8_t *buf, size_t size, const char *eid, const char *subnqn,
				const char *traddr, const char *trsvcid)
{
	struct entity e = {.ename = "dimtool"};
	struct log_rec r = {.subtype = NVME_NQN_NVME};
	char spec[400], err[128];

	snprintf(e.nqn, sizeof(e.nqn), "%s", eid);
	snprintf(r.subnqn, sizeof(r.subnqn), "%s", subnqn);
	snprintf(spec, sizeof(spec), "traddr=%s;trsvcid=%s;portid=1", traddr, trsvcid);
	if (addr_parse_port(spec, "4420", &r.port, err, sizeof(err)) < 0) {
		fprintf(stderr, "dimtool: %s\n", err);
		return 0;
	}
	return dim_encode_ddc(buf, size, DIM_EKTYPE_TRADDR, &e, &r, 1);
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

/* As nvme discover --persistent: enable the notice, read the log with RAE = 0 (which arms
 * the event), hold an AER and wait for it. */
static int wait_aen(struct event_base *base, struct nvmf_host *h)
{
	struct wait w = {0};

	if (nvmf_host_set_features(h, NVME_FEAT_FID_ASYNC_EVENT, 1u << 31, done_cb, &w) ||
	    wait_for(base, &w, "set features"))
		return 1;
	w = (struct wait){0};
	if (nvmf_host_get_log(h, NVME_LOG_LID_DISCOVER, 0, false, 0, 4096, done_cb, &w) ||
	    wait_for(base, &w, "get log 70h"))
		return 1;
	free(w.data);
	w = (struct wait){0};
	if (nvmf_host_aer(h, done_cb, &w))
		return 1;
	printf("armed\n");
	fflush(stdout);
	if (wait_for(base, &w, "AER"))
		return 1;
	printf("aen 0x%08x\n", w.cqe.dw0);
	return 0;
}

static int read_full(int fd, uint8_t *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

/* "ADDR:SVC" or "[ADDR]:SVC" (or "" for the address the request comes from) into a port. */
static int kick_port(const char *text, struct cdc_port *p)
{
	const char *svc;

	memset(p, 0, sizeof(*p));
	if (addr_split_hostport(text, p->traddr, sizeof(p->traddr), &svc) < 0 ||
	    strlen(svc) >= sizeof(p->trsvcid))
		return -EINVAL;
	snprintf(p->trsvcid, sizeof(p->trsvcid), "%s", svc);
	p->adrfam = strchr(p->traddr, ':') ? NVMF_ADDR_FAMILY_IP6 : NVMF_ADDR_FAMILY_IP4;
	return 0;
}

/* The Kickstart exchange, with plain blocking I/O: it is two PDUs each way. The ICReq sets no
 * flag, as the KDCONN bit's position is not known for sure and cdcd does not need it. */
static int kickstart(const struct sockaddr_in *sa, int argc, char **argv)
{
	struct cdc_port ports[KDREQ_MAX_RECORDS];
	struct nvme_tcp_ic ic = {0};
	uint8_t icreq[NVME_TCP_IC_LEN], icresp[NVME_TCP_IC_LEN], req[KDREQ_MAX_LEN],
		rsp[KDRESP_LEN];
	uint8_t ksstat, failrsn;
	char nqn[CDC_NQN_MAX + 1];
	unsigned long numdie = 1;
	int first = 0, n = 0, fd, rc = 1;

	if (argc > 0 && !strchr(argv[0], ':')) {
		numdie = strtoul(argv[0], NULL, 10);
		first = 1;
	}
	for (int i = first; i < argc && n < KDREQ_MAX_RECORDS; i++)
		if (kick_port(argv[i], &ports[n++]) < 0)
			return 2;
	size_t len = kdreq_encode(ports, (size_t)n, (uint16_t)numdie, req);
	nvme_tcp_ic_encode(NVME_TCP_ICREQ, &ic, icreq);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    write(fd, icreq, sizeof(icreq)) != sizeof(icreq) ||
	    read_full(fd, icresp, sizeof(icresp)) < 0 || icresp[0] != NVME_TCP_ICRESP ||
	    write(fd, req, len) != (ssize_t)len || read_full(fd, rsp, sizeof(rsp)) < 0 ||
	    kdresp_decode(rsp, sizeof(rsp), &ksstat, &failrsn, nqn) < 0)
		fprintf(stderr, "dimtool: kickstart exchange failed\n");
	else {
		printf("kdresp ksstat %u failrsn %u nqn %s\n", ksstat, failrsn, nqn);
		rc = 0;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "register") && strcmp(argv[1], "deregister") &&
			 strcmp(argv[1], "hostlog") && strcmp(argv[1], "aer") &&
			 strcmp(argv[1], "kickstart"))) {
		fprintf(stderr, "usage: dimtool register ADDR PORT EID SUBNQN TRADDR TRSVCID\n"
				"       dimtool deregister ADDR PORT EID SUBNQN TRADDR TRSVCID\n"
				"       dimtool hostlog ADDR PORT\n"
				"       dimtool aer ADDR PORT\n"
				"       dimtool kickstart ADDR PORT [NUMDIE] TRADDR:TRSVCID...\n");
		return 2;
	}
	bool dereg = !strcmp(argv[1], "deregister");
	bool reg = dereg || !strcmp(argv[1], "register");
	if (reg && argc != 8)
		return 2;

	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3]))};
	if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
		return 2;
	if (!strcmp(argv[1], "kickstart"))
		return kickstart(&sa, argc - 4, argv + 4);
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
		sqe.cdw[10] = dereg ? NVMF_DIM_TAS_DEREGISTER : NVMF_DIM_TAS_REGISTER;
		size_t len =
			ddc_register_data(buf, sizeof(buf), argv[4], argv[5], argv[6], argv[7]);
		if (!len || nvmf_host_submit(h, &sqe, buf, (uint32_t)len, 0, done_cb, &w) ||
		    wait_for(base, &w, dereg ? "DIM deregister" : "DIM register"))
			goto out;
		printf("%s %s at %s:%s as %s\n", dereg ? "deregistered" : "registered", argv[5],
		       argv[6], argv[7], argv[4]);
	} else if (!strcmp(argv[1], "aer")) {
		if (wait_aen(base, h))
			goto out;
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
