/* disc_json.c - discovery log entries as JSON in nvme-cli's words. Pure: the control API
 * answers with it, and the tests decode what a host read over NVMe with the same code. */
#include "disc_json.h"

#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "nvmf_tcp.h"

const char *disc_subtype_str(uint8_t subtype)
{
	switch (subtype) {
	case NVME_NQN_DISC:
		return "discovery subsystem referral";
	case NVME_NQN_NVME:
		return "nvme subsystem";
	case NVME_NQN_CURR:
		return "current discovery subsystem";
	}
	return "unrecognized";
}

const char *disc_eflags_str(uint16_t eflags, char *buf, size_t size)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} flags[] = {
		{NVMF_DISC_EFLAGS_EPCSD, "explicit discovery connections"},
		{NVMF_DISC_EFLAGS_DUPRETINFO, "duplicate discovery information"},
		{NVMF_DISC_EFLAGS_NCC, "no cdc connectivity"},
	};
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (eflags & flags[i].bit && off < size)
			off += (size_t)snprintf(buf + off, size - off, "%s%s", off ? ", " : "",
						flags[i].name);
	return off ? buf : "none";
}

/* A fixed-width text field that may lack its NUL. */
static struct json_object *field(const char *p, size_t size)
{
	return json_object_new_string_len(p, (int)strnlen(p, size));
}

struct json_object *disc_entry_json(const struct nvmf_disc_log_entry *e)
{
	struct json_object *o = json_object_new_object();
	char eflags[128];

	json_object_object_add(o, "trtype", json_object_new_string(addr_trtype_str(e->trtype)));
	json_object_object_add(o, "adrfam", json_object_new_string(addr_adrfam_str(e->adrfam)));
	json_object_object_add(o, "subtype", json_object_new_string(disc_subtype_str(e->subtype)));
	json_object_object_add(o, "treq", json_object_new_string(addr_treq_str(e->treq)));
	json_object_object_add(o, "portid", json_object_new_int(le16toh(e->portid)));
	json_object_object_add(o, "trsvcid", field(e->trsvcid, sizeof(e->trsvcid)));
	json_object_object_add(o, "subnqn", field(e->subnqn, sizeof(e->subnqn)));
	json_object_object_add(o, "traddr", field(e->traddr, sizeof(e->traddr)));
	json_object_object_add(o, "eflags",
			       json_object_new_string(disc_eflags_str(le16toh(e->eflags), eflags,
								      sizeof(eflags))));
	json_object_object_add(o, "sectype",
			       json_object_new_string(addr_sectype_str(e->tsas.tcp.sectype)));
	return o;
}

struct json_object *disc_log_json(const uint8_t *log, size_t len)
{
	struct json_object *o = json_object_new_object();
	struct json_object *recs = json_object_new_array();
	uint64_t numrec = len >= 16 ? get_le64(log + 8) : 0;

	json_object_object_add(o, "genctr",
			       json_object_new_int64(len >= 8 ? (int64_t)get_le64(log) : 0));
	for (uint64_t i = 0; i < numrec && 1024 + (i + 1) * 1024 <= len; i++)
		json_object_array_add(
			recs, disc_entry_json(
				      (const struct nvmf_disc_log_entry *)(log + 1024 + i * 1024)));
	json_object_object_add(o, "records", recs);
	return o;
}

struct json_object *disc_port_json(const struct cdc_port *p)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "trtype", json_object_new_string(addr_trtype_str(p->trtype)));
	json_object_object_add(o, "adrfam", json_object_new_string(addr_adrfam_str(p->adrfam)));
	json_object_object_add(o, "traddr", json_object_new_string(p->traddr));
	json_object_object_add(o, "trsvcid", json_object_new_string(p->trsvcid));
	json_object_object_add(o, "portid", json_object_new_int(p->portid));
	json_object_object_add(o, "treq", json_object_new_string(addr_treq_str(p->treq)));
	json_object_object_add(o, "sectype", json_object_new_string(addr_sectype_str(p->sectype)));
	return o;
}
