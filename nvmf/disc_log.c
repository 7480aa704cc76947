/* disc_log.c - build and slice the discovery log page (70h), the Host Discovery log (71h) and
 * Supported Log Pages (00h).
 * Pure: no sockets, no SQL. The entries are built once per change; a read only copies the
 * bytes the host asked for out of the virtual concatenation header | self | body. */
#include "disc_log.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmf_tcp.h"

static void copy_field(char *dst, size_t size, const char *src)
{
	/* NUL padded, as the Linux target does; hosts strip either padding. */
	size_t n = strnlen(src, size - 1);

	memset(dst, 0, size);
	memcpy(dst, src, n);
}

void disc_entry_fill(struct nvmf_disc_log_entry *e, uint8_t subtype, const struct cdc_port *port,
		     const char *subnqn, uint16_t eflags)
{
	memset(e, 0, sizeof(*e));
	e->trtype = port->trtype;
	e->adrfam = port->adrfam;
	e->subtype = subtype;
	e->treq = port->treq;
	e->portid = htole16(port->portid);
	e->cntlid = htole16(0xffff); /* dynamic controller model */
	e->asqsz = htole16(DISC_ADMIN_SQ_SIZE);
	e->eflags = htole16(eflags);
	copy_field(e->trsvcid, sizeof(e->trsvcid), port->trsvcid);
	copy_field(e->subnqn, sizeof(e->subnqn), subnqn);
	copy_field(e->traddr, sizeof(e->traddr), port->traddr);
	e->tsas.tcp.sectype = port->sectype;
}

static bool addr_is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static uint16_t addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

/* An IPv4 peer on an IPv6 socket shows up as ::ffff:a.b.c.d; report it as IPv4. */
void disc_addr_port(const struct sockaddr *sa, struct cdc_port *port)
{
	if (sa->sa_family == AF_INET) {
		port->adrfam = NVMF_ADDR_FAMILY_IP4;
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, port->traddr,
			  sizeof(port->traddr));
		return;
	}
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a6)) {
		port->adrfam = NVMF_ADDR_FAMILY_IP4;
		inet_ntop(AF_INET, &a6->s6_addr[12], port->traddr, sizeof(port->traddr));
		return;
	}
	port->adrfam = NVMF_ADDR_FAMILY_IP6;
	inet_ntop(AF_INET6, a6, port->traddr, sizeof(port->traddr));
}

size_t disc_log_self_entries(const struct cdc_listen *listen, size_t nlisten,
			     const struct sockaddr *local, const char *nqn,
			     struct nvmf_disc_log_entry *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < nlisten && n < max; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&listen[i].ss;
		struct cdc_port port = {.trtype = NVMF_TRTYPE_TCP, .portid = (uint16_t)i};

		if (addr_is_wildcard(&listen[i].ss)) {
			if (!local || local->sa_family != sa->sa_family)
				continue;
			disc_addr_port(local, &port);
		} else {
			disc_addr_port(sa, &port);
		}
		snprintf(port.trsvcid, sizeof(port.trsvcid), "%u", addr_port(sa));
		/* Only a TLS-only port says TLS: "not required" with a SECTYPE makes libnvme
		 * ask for secure concatenation (protocol.md 10.4), so a port that takes both is
		 * announced as the plain port it also is. */
		if (listen[i].tls == CDC_LISTEN_TLS_REQUIRED) {
			port.treq = NVMF_TREQ_REQUIRED;
			port.sectype = NVMF_TCP_SECTYPE_TLS13;
		}
		disc_entry_fill(&out[n++], NVME_NQN_CURR, &port, nqn,
				NVMF_DISC_EFLAGS_DUPRETINFO | NVMF_DISC_EFLAGS_EPCSD);
	}
	return n;
}

int disc_blob_reserve(struct disc_blob **b, size_t need)
{
	struct disc_blob *cur = *b;

	if (cur && cur->refs == 1 && cur->cap >= need)
		return 0;
	/* Held by a reply too: leave it to the reply, build in a new one. */
	if (cur && cur->refs > 1) {
		disc_blob_unref(cur);
		cur = *b = NULL;
	}
	size_t cap = cur && cur->cap * 2 > need ? cur->cap * 2 : need;
	struct disc_blob *n = realloc(cur, sizeof(*n) + cap);
	if (!n)
		return -ENOMEM;
	n->refs = 1;
	n->cap = cap;
	*b = n;
	return 0;
}

struct disc_blob *disc_blob_ref(struct disc_blob *b)
{
	b->refs++;
	return b;
}

void disc_blob_unref(struct disc_blob *b)
{
	if (b && --b->refs == 0)
		free(b);
}

void disc_log_slice(uint64_t prefix_len, uint64_t body_len, uint64_t off, uint32_t len,
		    struct disc_log_slice *s)
{
	uint64_t end = off + len, body_end = prefix_len + body_len;

	memset(s, 0, sizeof(*s));
	if (off < prefix_len)
		s->copy_len = (uint32_t)((end < prefix_len ? end : prefix_len) - off);
	if (end > prefix_len && off < body_end) {
		uint64_t from = off > prefix_len ? off : prefix_len;
		uint64_t to = end < body_end ? end : body_end;
		s->body_off = from - prefix_len;
		s->body_len = (uint32_t)(to - from);
	}
	s->zero_len = len - s->copy_len - s->body_len;
}

uint64_t disc_log_size(const struct disc_log_view *v)
{
	return DISC_LOG_HDR_LEN + (uint64_t)(v->nself + v->nbody) * DISC_LOG_ENTRY_LEN;
}

static void header_fill(const struct disc_log_view *v, uint8_t hdr[DISC_LOG_HDR_LEN])
{
	struct nvmf_discovery_log *h = (struct nvmf_discovery_log *)hdr;

	memset(hdr, 0, DISC_LOG_HDR_LEN);
	h->genctr = htole64(v->genctr);
	h->numrec = htole64(v->nself + v->nbody);
	h->recfmt = 0;
}

/* Copies from one segment [seg_off, seg_off + seg_len) of the virtual log. */
static void copy_segment(const void *seg, uint64_t seg_off, uint64_t seg_len, uint64_t off,
			 uint8_t *dst, size_t len)
{
	uint64_t end = off + len, seg_end = seg_off + seg_len;
	uint64_t from = off > seg_off ? off : seg_off;
	uint64_t to = end < seg_end ? end : seg_end;

	if (from < to)
		memcpy(dst + (from - off), (const uint8_t *)seg + (from - seg_off), to - from);
}

int disc_log_read(const struct disc_log_view *v, uint64_t off, uint8_t *dst, size_t len)
{
	uint64_t size = disc_log_size(v);
	uint8_t hdr[DISC_LOG_HDR_LEN];

	if (off > size)
		return -EINVAL;
	memset(dst, 0, len);
	if (off < DISC_LOG_HDR_LEN) {
		header_fill(v, hdr);
		copy_segment(hdr, 0, DISC_LOG_HDR_LEN, off, dst, len);
	}
	uint64_t self_len = (uint64_t)v->nself * DISC_LOG_ENTRY_LEN;
	if (v->nself)
		copy_segment(v->self, DISC_LOG_HDR_LEN, self_len, off, dst, len);
	if (v->nbody)
		copy_segment(v->body, DISC_LOG_HDR_LEN + self_len,
			     (uint64_t)v->nbody * DISC_LOG_ENTRY_LEN, off, dst, len);
	return 0;
}

void disc_log_supported(uint8_t out[DISC_SUPPORTED_LOGS_LEN])
{
	/* LSUPP only: no LID specific parameters (EXTDLPES, ALLSUBES) are offered yet. */
	memset(out, 0, DISC_SUPPORTED_LOGS_LEN);
	out[4 * NVME_LOG_LID_SUPPORTED_LOG_PAGES] = 1;
	out[4 * NVME_LOG_LID_ERROR] = 1;
	out[4 * NVME_LOG_LID_DISCOVER] = 1;
	out[4 * DISC_LID_HOST_DISCOVERY] = 1;
}

size_t disc_hostlog_entry_len(const struct host_rec *h)
{
	size_t sym = strlen(h->symname);

	return HOSTLOG_EXAT_OFF + 4 + 16 + (sym ? 4 + (sym + 3) / 4 * 4 : 0);
}

/* One extended attribute at p; its value is padded with zeros to padded bytes. */
static size_t put_exat(uint8_t *p, uint16_t type, const void *val, size_t len, size_t padded)
{
	struct nvmf_ext_attr *a = (struct nvmf_ext_attr *)p;

	a->exattype = htole16(type);
	a->exatlen = htole16((uint16_t)padded);
	memcpy(a->exatval, val, len);
	return sizeof(*a) + padded;
}

void disc_hostlog_entry_fill(uint8_t *p, size_t len, const struct host_rec *h, uint16_t eflags)
{
	struct disc_hostlog_entry *e = (struct disc_hostlog_entry *)p;
	size_t sym = strlen(h->symname), off;

	memset(p, 0, len);
	e->trtype = h->trtype;
	e->adrfam = h->adrfam;
	e->eflags = htole16(eflags);
	copy_field(e->hostnqn, sizeof(e->hostnqn), h->hostnqn);
	copy_field(e->traddr, sizeof(e->traddr), h->traddr);
	e->tsas.tcp.sectype = h->sectype;
	e->tel = htole32((uint32_t)len);
	e->numexat = htole16(sym ? 2 : 1);
	off = put_exat(e->exat, NVMF_EXATTYPE_HOSTID, h->hostid, sizeof(h->hostid),
		       sizeof(h->hostid));
	if (sym)
		put_exat(e->exat + off, NVMF_EXATTYPE_SYMNAME, h->symname, sym, (sym + 3) / 4 * 4);
}

int disc_hostlog_read(uint64_t genctr, const uint8_t *entries, size_t len, size_t nrec,
		      uint64_t off, uint8_t *dst, size_t dlen)
{
	/* RECFMT 0, HDLPF 0: ALLHOSTE is not offered, so the log never claims every host; with
	 * zoning it lists the hosts zoned with the reader's subsystems (fabric_zone.c). */
	struct disc_hostlog_hdr hdr = {
		.genctr = htole64(genctr),
		.numrec = htole64(nrec),
		.thdlpl = htole32((uint32_t)(DISC_LOG_HDR_LEN + len)),
	};

	if (off > DISC_LOG_HDR_LEN + (uint64_t)len)
		return -EINVAL;
	memset(dst, 0, dlen);
	copy_segment(&hdr, 0, sizeof(hdr), off, dst, dlen);
	if (len && entries)
		copy_segment(entries, DISC_LOG_HDR_LEN, len, off, dst, dlen);
	return 0;
}
