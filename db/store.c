/* store.c - the registrations in SQLite: schema and migrations (PRAGMA user_version),
 * statements prepared once at open, and the write transaction of a loop turn. WAL with
 * synchronous=FULL: a commit that returned 0 survives a crash or a power cut. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Long enough to ride out a checkpoint by a sqlite3 shell, short enough not to stall the loop. */
#define STORE_BUSY_MS 100

#define PATH_MAX_STORE 4096

/* Element i takes the schema from version i to i + 1. Append only: a shipped element is never
 * edited, because databases out there already ran it. */
static const char *const migrations[] = {
	/* 1: everything. The CHECKs make the file refuse what the structs cannot hold. Plain
	 * tables, not STRICT: configure accepts SQLite 3.31. */
	"CREATE TABLE entity ("
	"  nqn TEXT PRIMARY KEY NOT NULL,"
	"  etype INTEGER NOT NULL CHECK (etype BETWEEN 0 AND 255),"
	"  source INTEGER NOT NULL CHECK (source BETWEEN 0 AND 255),"
	"  ename TEXT NOT NULL,"
	"  ever TEXT NOT NULL,"
	"  regnqn TEXT NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL"
	");"
	"CREATE TABLE host ("
	"  id INTEGER PRIMARY KEY,"
	"  hostnqn TEXT NOT NULL REFERENCES entity (nqn) ON DELETE CASCADE,"
	"  trtype INTEGER NOT NULL CHECK (trtype BETWEEN 0 AND 255),"
	"  adrfam INTEGER NOT NULL CHECK (adrfam BETWEEN 0 AND 255),"
	"  traddr TEXT NOT NULL,"
	"  trsvcid TEXT NOT NULL,"
	"  hostid BLOB NOT NULL CHECK (length(hostid) = 16),"
	"  symname TEXT NOT NULL,"
	"  sectype INTEGER NOT NULL CHECK (sectype BETWEEN 0 AND 255),"
	"  source INTEGER NOT NULL CHECK (source BETWEEN 0 AND 255),"
	"  UNIQUE (hostnqn, trtype, adrfam, traddr, trsvcid)"
	");"
	/* Owner "" (configuration, admin) is stored as NULL so that it needs no entity. */
	"CREATE TABLE rec ("
	"  id INTEGER PRIMARY KEY,"
	"  owner TEXT REFERENCES entity (nqn) ON DELETE CASCADE CHECK (owner <> ''),"
	"  subnqn TEXT NOT NULL,"
	"  subtype INTEGER NOT NULL CHECK (subtype BETWEEN 0 AND 255),"
	"  asqsz INTEGER NOT NULL CHECK (asqsz BETWEEN 0 AND 65535),"
	"  source INTEGER NOT NULL CHECK (source BETWEEN 0 AND 255),"
	"  trtype INTEGER NOT NULL CHECK (trtype BETWEEN 0 AND 255),"
	"  adrfam INTEGER NOT NULL CHECK (adrfam BETWEEN 0 AND 255),"
	"  treq INTEGER NOT NULL CHECK (treq BETWEEN 0 AND 255),"
	"  sectype INTEGER NOT NULL CHECK (sectype BETWEEN 0 AND 255),"
	"  portid INTEGER NOT NULL CHECK (portid BETWEEN 0 AND 65535),"
	"  traddr TEXT NOT NULL,"
	"  trsvcid TEXT NOT NULL"
	");"
	/* A plain UNIQUE holds every NULL distinct, so owner-less records would pile up. */
	"CREATE UNIQUE INDEX rec_key ON rec (ifnull(owner, ''), subnqn, trtype, adrfam, traddr,"
	"  trsvcid);"
	/* The cascade from entity looks records up by owner; without this it scans. */
	"CREATE INDEX rec_owner ON rec (owner);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value);"
	"INSERT INTO meta (key, value) VALUES ('genctr', 0);"
	/* AUTOINCREMENT: a reader paging by id must never see an id handed out twice. */
	"CREATE TABLE journal ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  peer TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  detail TEXT NOT NULL"
	");",
	/* 2: the Host Discovery log's counter (its reservation, see registry.c). */
	"INSERT INTO meta (key, value) VALUES ('hgenctr', 0);",
	/* 3: fabric zoning. A group's zones, and its active copy (aliases resolved, NULL when
	 * not active), are JSON documents the zoning code writes and reads: the store keeps
	 * them whole, as a group changes whole. zone_next_key is the next ZDK, never reused. */
	"CREATE TABLE zone_group ("
	"  orig TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  zkey INTEGER NOT NULL UNIQUE CHECK (zkey BETWEEN 1 AND 4294967295),"
	"  gen INTEGER NOT NULL CHECK (gen BETWEEN 1 AND 4294967295),"
	"  zones TEXT NOT NULL,"
	"  active TEXT,"
	"  PRIMARY KEY (orig, name)"
	");"
	"CREATE TABLE zone_alias (name TEXT PRIMARY KEY NOT NULL, members TEXT NOT NULL);"
	"INSERT INTO meta (key, value) VALUES ('zone_next_key', 1);",
	/* 4: the DH-HMAC-CHAP settings of hosts set through the control API (the keys file
	 * holds the others). The secrets are kept in their DHHC-1 text: the file is 0600. */
	"CREATE TABLE host_auth ("
	"  hostnqn TEXT PRIMARY KEY NOT NULL,"
	"  key TEXT NOT NULL,"
	"  ctrl_key TEXT,"
	"  require_auth INTEGER NOT NULL CHECK (require_auth IN (0, 1))"
	");",
};

_Static_assert(ARRAY_SIZE(migrations) == STORE_SCHEMA_VERSION,
	       "STORE_SCHEMA_VERSION must count the migrations");

enum stmt_id {
	S_BEGIN,
	S_BEGIN_READ,
	S_COMMIT,
	S_ROLLBACK,
	S_ENT_PUT,
	S_ENT_DEL,
	S_HOST_PUT,
	S_HOST_DEL,
	S_REC_PUT,
	S_REC_DEL,
	S_GENCTR_SET,
	S_GENCTR_GET,
	S_JOURNAL_ADD,
	S_JOURNAL_READ,
	S_JOURNAL_TRIM,
	S_ENT_ALL,
	S_HOST_ALL,
	S_REC_ALL,
	S_ZG_PUT,
	S_ZG_DEL,
	S_ZA_PUT,
	S_ZA_DEL,
	S_ZG_ALL,
	S_ZA_ALL,
	S_AUTH_PUT,
	S_AUTH_REQUIRE,
	S_AUTH_DEL,
	S_AUTH_ALL,
	S_NR
};

static const char *const stmt_sql[S_NR] = {
	/* IMMEDIATE takes the write lock now: a busy database fails the begin, not the commit
	 * after the model was changed. */
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_BEGIN_READ] = "BEGIN",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	/* Upserts, never INSERT OR REPLACE: replacing deletes the row first, which would cascade
	 * to the entity's hosts and records. */
	[S_ENT_PUT] = "INSERT INTO entity (nqn, etype, source, ename, ever, regnqn, first_seen,"
		      " last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
		      " ON CONFLICT (nqn) DO UPDATE SET etype = excluded.etype,"
		      " source = excluded.source, ename = excluded.ename, ever = excluded.ever,"
		      " regnqn = excluded.regnqn, first_seen = excluded.first_seen,"
		      " last_seen = excluded.last_seen",
	[S_ENT_DEL] = "DELETE FROM entity WHERE nqn = ?1",
	[S_HOST_PUT] =
		"INSERT INTO host (hostnqn, trtype, adrfam, traddr, trsvcid, hostid, symname,"
		" sectype, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		" ON CONFLICT (hostnqn, trtype, adrfam, traddr, trsvcid) DO UPDATE SET"
		" hostid = excluded.hostid, symname = excluded.symname,"
		" sectype = excluded.sectype, source = excluded.source",
	[S_HOST_DEL] = "DELETE FROM host WHERE hostnqn = ?1 AND trtype = ?2 AND adrfam = ?3"
		       " AND traddr = ?4 AND trsvcid = ?5",
	/* The conflict target is rec_key's expression, so owner "" upserts like any other. */
	[S_REC_PUT] =
		"INSERT INTO rec (owner, subnqn, subtype, asqsz, source, trtype, adrfam, treq,"
		" sectype, portid, traddr, trsvcid) VALUES (nullif(?1, ''), ?2, ?3, ?4, ?5,"
		" ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
		" ON CONFLICT (ifnull(owner, ''), subnqn, trtype, adrfam, traddr, trsvcid)"
		" DO UPDATE SET subtype = excluded.subtype, asqsz = excluded.asqsz,"
		" source = excluded.source, treq = excluded.treq,"
		" sectype = excluded.sectype, portid = excluded.portid",
	[S_REC_DEL] = "DELETE FROM rec WHERE ifnull(owner, '') = ?1 AND subnqn = ?2 AND trtype = ?3"
		      " AND adrfam = ?4 AND traddr = ?5 AND trsvcid = ?6",
	[S_GENCTR_SET] = "UPDATE meta SET value = ?1 WHERE key = ?2 AND value <= ?1",
	[S_GENCTR_GET] = "SELECT value FROM meta WHERE key = ?1",
	[S_JOURNAL_ADD] = "INSERT INTO journal (at, actor, peer, action, detail)"
			  " VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_JOURNAL_TRIM] = "DELETE FROM journal WHERE id <= (SELECT max(id) FROM journal) - ?1",
	[S_JOURNAL_READ] = "SELECT id, at, actor, peer, action, detail FROM journal WHERE id > ?1"
			   " ORDER BY id LIMIT ?2",
	[S_ENT_ALL] = "SELECT nqn, etype, source, ename, ever, regnqn, first_seen, last_seen"
		      " FROM entity ORDER BY nqn",
	[S_HOST_ALL] = "SELECT hostnqn, trtype, adrfam, traddr, trsvcid, hostid, symname, sectype,"
		       " source FROM host ORDER BY id",
	[S_REC_ALL] = "SELECT ifnull(owner, ''), subnqn, subtype, asqsz, source, trtype, adrfam,"
		      " treq, sectype, portid, traddr, trsvcid FROM rec ORDER BY id",
	[S_ZG_PUT] = "INSERT INTO zone_group (orig, name, zkey, gen, zones, active)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (orig, name) DO UPDATE SET"
		     " zkey = excluded.zkey, gen = excluded.gen, zones = excluded.zones,"
		     " active = excluded.active",
	[S_ZG_DEL] = "DELETE FROM zone_group WHERE orig = ?1 AND name = ?2",
	[S_ZA_PUT] = "INSERT INTO zone_alias (name, members) VALUES (?1, ?2)"
		     " ON CONFLICT (name) DO UPDATE SET members = excluded.members",
	[S_ZA_DEL] = "DELETE FROM zone_alias WHERE name = ?1",
	[S_ZG_ALL] = "SELECT orig, name, zkey, gen, zones, active FROM zone_group ORDER BY rowid",
	[S_ZA_ALL] = "SELECT name, members FROM zone_alias ORDER BY rowid",
	/* ?4 NULL keeps require_auth as it is (yes for a new row). */
	[S_AUTH_PUT] = "INSERT INTO host_auth (hostnqn, key, ctrl_key, require_auth)"
		       " VALUES (?1, ?2, ?3, coalesce(?4, 1)) ON CONFLICT (hostnqn) DO UPDATE"
		       " SET key = excluded.key, ctrl_key = excluded.ctrl_key,"
		       " require_auth = coalesce(?4, require_auth)",
	[S_AUTH_REQUIRE] = "UPDATE host_auth SET require_auth = ?2 WHERE hostnqn = ?1",
	[S_AUTH_DEL] = "DELETE FROM host_auth WHERE hostnqn = ?1",
	[S_AUTH_ALL] = "SELECT hostnqn, key, ctrl_key, require_auth FROM host_auth"
		       " ORDER BY hostnqn",
};

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[S_NR];
	bool in_tx;
	int aborted;   /* errno of the failure after which SQLite ended the transaction itself */
	int bind_rc;   /* first failed bind since the last step */
	char msg[256]; /* last error in words */
};

/* The one place SQLite result codes become errnos. sys is sqlite3_system_errno(). */
static int errno_of(int rc, int sys)
{
	if (rc == SQLITE_IOERR_NOMEM)
		return -ENOMEM;
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_CONSTRAINT: /* foreign key, CHECK, NOT NULL: a record the schema refuses */
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_MISUSE:
		return -EINVAL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_PROTOCOL:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_NOLFS:
		return -EFBIG;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_INTERRUPT:
		return -EINTR;
	case SQLITE_CANTOPEN:
		return sys > 0 ? -sys : -EACCES;
	case SQLITE_IOERR:
		/* A full disk or a file system gone read-only tell an operator more than EIO. */
		if (sys == ENOSPC || sys == EDQUOT)
			return -ENOSPC;
		if (sys == EROFS)
			return -EROFS;
		return -EIO;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	default:
		return -EIO;
	}
}

static int fail(struct store *st, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct store *st, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
	return err;
}

static int sql_fail(struct store *st, int rc)
{
	snprintf(st->msg, sizeof(st->msg), "%s", sqlite3_errmsg(st->db));
	return errno_of(rc, sqlite3_system_errno(st->db));
}

/* A field whose NUL is not inside its array would be read past its end. */
#define TERMINATED(field) (memchr((field), 0, sizeof(field)) != NULL)

static void bind_text(struct store *st, sqlite3_stmt *s, int i, const char *v, size_t size)
{
	int rc = sqlite3_bind_text(s, i, v ? v : "", v ? (int)strnlen(v, size) : 0,
				   SQLITE_TRANSIENT);

	if (rc != SQLITE_OK && st->bind_rc == SQLITE_OK)
		st->bind_rc = rc;
}

static void bind_int(struct store *st, sqlite3_stmt *s, int i, int64_t v)
{
	int rc = sqlite3_bind_int64(s, i, v);

	if (rc != SQLITE_OK && st->bind_rc == SQLITE_OK)
		st->bind_rc = rc;
}

static void bind_blob(struct store *st, sqlite3_stmt *s, int i, const void *v, int len)
{
	int rc = sqlite3_bind_blob(s, i, v, len, SQLITE_TRANSIENT);

	if (rc != SQLITE_OK && st->bind_rc == SQLITE_OK)
		st->bind_rc = rc;
}

#define BIND_STR(st, s, i, field) bind_text((st), (s), (i), (field), sizeof(field))

/* Step a bound statement that returns no rows, and reset it for its next use. */
static int run(struct store *st, sqlite3_stmt *s)
{
	int rc = st->bind_rc != SQLITE_OK ? st->bind_rc : sqlite3_step(s);
	int err = rc == SQLITE_DONE ? 0 : sql_fail(st, rc);

	st->bind_rc = SQLITE_OK;
	sqlite3_reset(s);
	/* After a full disk or an I/O error SQLite may end the whole transaction by itself; the
	 * writes after it would then commit one by one, and store_commit() would call the
	 * lost ones durable. */
	if (err && st->in_tx && sqlite3_get_autocommit(st->db))
		st->aborted = err;
	return err;
}

static int writable(struct store *st)
{
	if (!st->in_tx)
		return fail(st, -EINVAL, "write outside a transaction");
	return st->aborted;
}

/* Copy a TEXT column; false if it does not fit, which this code never writes. */
static bool col_text(sqlite3_stmt *s, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t n = (size_t)sqlite3_column_bytes(s, i);

	if (!t || n >= size || memchr(t, 0, n))
		return false;
	memcpy(dst, t, n);
	dst[n] = '\0';
	return true;
}

#define COL_STR(s, i, field) col_text((s), (i), (field), sizeof(field))

static int exec(struct store *st, const char *sql)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_fail(st, rc);
}

/* Run a one-row statement (a PRAGMA) and return its first column as text or as a number. */
static int query_one(struct store *st, const char *sql, char *text, size_t size, int64_t *num)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	int err;

	if (rc != SQLITE_OK)
		return sql_fail(st, rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		err = 0;
		if (num)
			*num = sqlite3_column_int64(s, 0);
		if (text && !col_text(s, 0, text, size))
			text[0] = '\0';
	} else if (rc == SQLITE_DONE) {
		err = fail(st, -ENOTSUP, "%s: no result", sql);
	} else {
		err = sql_fail(st, rc);
	}
	sqlite3_finalize(s);
	return err;
}

static int configure(struct store *st)
{
	char mode[16];
	int64_t fk = 0;
	int err;

	/* The first statement that reads the file: a file that is not a database fails here. */
	err = query_one(st, "PRAGMA journal_mode = WAL", mode, sizeof(mode), NULL);
	if (err)
		return err;
	if (strcmp(mode, "wal") && !sqlite3_db_readonly(st->db, "main"))
		log_warn("store %s: journal mode %s, not WAL: commits will be slower", st->path,
			 mode);
	err = exec(st, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
	if (err)
		return err;
	/* The cascades and the owner checks depend on it; a build without it would silently
	 * keep orphans. */
	err = query_one(st, "PRAGMA foreign_keys", NULL, 0, &fk);
	if (!err && fk != 1)
		err = fail(st, -ENOTSUP, "this SQLite does not enforce foreign keys");
	return err;
}

static int schema_version(struct store *st, int64_t *v)
{
	int err = query_one(st, "PRAGMA user_version", NULL, 0, v);

	if (!err && *v > STORE_SCHEMA_VERSION)
		err = fail(st, -EPROTO,
			   "schema version %lld is newer than this cdcd's %d; refusing to touch it",
			   (long long)*v, STORE_SCHEMA_VERSION);
	if (!err && *v < 0)
		err = fail(st, -EIO, "schema version %lld is not one of ours", (long long)*v);
	return err;
}

static int migrate(struct store *st)
{
	char sql[64];
	int64_t from, v;
	int err = schema_version(st, &from);

	if (err || from == STORE_SCHEMA_VERSION)
		return err;
	err = exec(st, "BEGIN IMMEDIATE");
	if (err)
		return err;
	/* Read again under the write lock: another process may have migrated meanwhile. */
	err = schema_version(st, &from);
	for (v = from; !err && v < STORE_SCHEMA_VERSION; v++) {
		err = exec(st, migrations[v]);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld", (long long)v + 1);
		if (!err)
			err = exec(st, sql);
	}
	if (!err)
		err = exec(st, "COMMIT");
	if (err) {
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return err;
	}
	if (from != v)
		log_info("store %s: schema version %lld -> %lld", st->path, (long long)from,
			 (long long)v);
	return 0;
}

static int prepare(struct store *st)
{
	for (int i = 0; i < S_NR; i++) {
		int rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &st->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return sql_fail(st, rc);
	}
	return 0;
}

/* The store holds the hosts' DH-HMAC-CHAP secrets (schema 4): the database is the daemon's
 * alone. SQLite gives a -wal or -shm it creates the mode of the database file, so a new
 * database is created 0600 here before SQLite opens it, whatever the umask. A failure is
 * left for SQLite to report when it opens the path. */
static void create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd >= 0)
		close(fd);
}

/* An existing file that group or others may read or write loses those bits, and the log
 * says which file it was: it was written by an older cdcd, or copied carelessly. */
static void tighten(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode) || !(sb.st_mode & 077))
		return;
	mode_t mode = sb.st_mode & 0700;
	if (chmod(path, mode) < 0)
		log_warn("%s: mode %03o lets others read the hosts' keys, and chmod failed: %s",
			 path, (unsigned int)(sb.st_mode & 0777), strerror(errno));
	else
		log_warn("%s: mode %03o let others read the hosts' keys; now %03o", path,
			 (unsigned int)(sb.st_mode & 0777), (unsigned int)mode);
}

static void make_private(const char *path)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	char name[PATH_MAX_STORE];

	create_private(path);
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++)
		if (snprintf(name, sizeof(name), "%s%s", path, suffixes[i]) < (int)sizeof(name))
			tighten(name);
}

int store_open(const char *path, struct store **out)
{
	struct store *st;
	int rc, err;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->path = strdup(path);
	if (!st->path) {
		err = -ENOMEM;
		goto fail;
	}
	make_private(path);
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		err = st->db ? sql_fail(st, rc) : fail(st, -ENOMEM, "out of memory");
		goto fail_log;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	err = configure(st);
	if (!err)
		err = migrate(st);
	if (!err)
		err = prepare(st);
	if (err)
		goto fail_log;
	if (sqlite3_db_readonly(st->db, "main") == 1)
		log_warn("store %s: read-only: registrations will fail", path);
	*out = st;
	return 0;

fail_log:
	if (err == -EPROTO)
		log_err("store %s: %s", path, st->msg);
	else if (err == -EIO)
		log_err("store %s: %s (corrupt, or not a cdcd store)", path, st->msg);
	else
		log_err("store %s: %s: %s", path, st->msg, strerror(-err));
fail:
	store_close(st);
	return err;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->db)
		store_rollback(st);
	for (int i = 0; i < S_NR; i++)
		sqlite3_finalize(st->stmt[i]);
	/* The last connection checkpoints the WAL into the database file and removes it. */
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

/* ---- transactions ---- */

int store_begin(struct store *st)
{
	int err;

	if (st->in_tx)
		return fail(st, -EBUSY, "a transaction is already open");
	err = run(st, st->stmt[S_BEGIN]);
	if (!err) {
		st->in_tx = true;
		st->aborted = 0;
	}
	return err;
}

int store_commit(struct store *st)
{
	int err;

	if (!st->in_tx)
		return fail(st, -EINVAL, "commit outside a transaction");
	err = st->aborted;
	if (!err)
		err = run(st, st->stmt[S_COMMIT]);
	if (err) {
		store_rollback(st);
		return err;
	}
	st->in_tx = false;
	return 0;
}

void store_rollback(struct store *st)
{
	sqlite3_stmt *s = st->stmt[S_ROLLBACK];

	/* A raw step: the message of the error that led here is the one worth keeping. */
	if (!sqlite3_get_autocommit(st->db)) {
		if (s) {
			sqlite3_step(s);
			sqlite3_reset(s);
		} else {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		}
	}
	st->in_tx = false;
	st->aborted = 0;
}

/* ---- writes ---- */

int store_entity_put(struct store *st, const struct entity *e)
{
	sqlite3_stmt *s = st->stmt[S_ENT_PUT];
	int err = writable(st);

	if (err)
		return err;
	if (!TERMINATED(e->nqn) || !e->nqn[0] || !TERMINATED(e->ename) || !TERMINATED(e->ever) ||
	    !TERMINATED(e->regnqn))
		return fail(st, -EINVAL, "entity with an empty or unterminated field");
	BIND_STR(st, s, 1, e->nqn);
	bind_int(st, s, 2, e->etype);
	bind_int(st, s, 3, e->source);
	BIND_STR(st, s, 4, e->ename);
	BIND_STR(st, s, 5, e->ever);
	BIND_STR(st, s, 6, e->regnqn);
	bind_int(st, s, 7, e->first_seen);
	bind_int(st, s, 8, e->last_seen);
	return run(st, s);
}

int store_entity_del(struct store *st, const char *nqn)
{
	sqlite3_stmt *s = st->stmt[S_ENT_DEL];
	int err = writable(st);

	if (err)
		return err;
	bind_text(st, s, 1, nqn, CDC_NQN_MAX + 1);
	err = run(st, s);
	if (!err && sqlite3_changes(st->db) == 0)
		err = fail(st, -ENOENT, "no entity %s", nqn);
	return err;
}

static bool host_ok(const struct host_rec *h)
{
	return TERMINATED(h->hostnqn) && h->hostnqn[0] && TERMINATED(h->traddr) &&
	       TERMINATED(h->trsvcid) && TERMINATED(h->symname);
}

static void bind_host_key(struct store *st, sqlite3_stmt *s, const struct host_rec *h)
{
	BIND_STR(st, s, 1, h->hostnqn);
	bind_int(st, s, 2, h->trtype);
	bind_int(st, s, 3, h->adrfam);
	BIND_STR(st, s, 4, h->traddr);
	BIND_STR(st, s, 5, h->trsvcid);
}

int store_host_put(struct store *st, const struct host_rec *h)
{
	sqlite3_stmt *s = st->stmt[S_HOST_PUT];
	int err = writable(st);

	if (err)
		return err;
	if (!host_ok(h))
		return fail(st, -EINVAL, "host with an empty or unterminated field");
	bind_host_key(st, s, h);
	bind_blob(st, s, 6, h->hostid, sizeof(h->hostid));
	BIND_STR(st, s, 7, h->symname);
	bind_int(st, s, 8, h->sectype);
	bind_int(st, s, 9, h->source);
	return run(st, s);
}

int store_host_del(struct store *st, const struct host_rec *h)
{
	sqlite3_stmt *s = st->stmt[S_HOST_DEL];
	int err = writable(st);

	if (err)
		return err;
	if (!host_ok(h))
		return fail(st, -EINVAL, "host with an empty or unterminated field");
	bind_host_key(st, s, h);
	err = run(st, s);
	if (!err && sqlite3_changes(st->db) == 0)
		err = fail(st, -ENOENT, "no host %s at %s:%s", h->hostnqn, h->traddr, h->trsvcid);
	return err;
}

static bool rec_ok(const struct log_rec *r)
{
	return TERMINATED(r->owner) && TERMINATED(r->subnqn) && r->subnqn[0] &&
	       TERMINATED(r->port.traddr) && TERMINATED(r->port.trsvcid);
}

int store_rec_put(struct store *st, const struct log_rec *r)
{
	sqlite3_stmt *s = st->stmt[S_REC_PUT];
	int err = writable(st);

	if (err)
		return err;
	if (!rec_ok(r))
		return fail(st, -EINVAL, "record with an empty or unterminated field");
	BIND_STR(st, s, 1, r->owner);
	BIND_STR(st, s, 2, r->subnqn);
	bind_int(st, s, 3, r->subtype);
	bind_int(st, s, 4, r->asqsz);
	bind_int(st, s, 5, r->source);
	bind_int(st, s, 6, r->port.trtype);
	bind_int(st, s, 7, r->port.adrfam);
	bind_int(st, s, 8, r->port.treq);
	bind_int(st, s, 9, r->port.sectype);
	bind_int(st, s, 10, r->port.portid);
	BIND_STR(st, s, 11, r->port.traddr);
	BIND_STR(st, s, 12, r->port.trsvcid);
	return run(st, s);
}

int store_rec_del(struct store *st, const struct log_rec *r)
{
	sqlite3_stmt *s = st->stmt[S_REC_DEL];
	int err = writable(st);

	if (err)
		return err;
	if (!rec_ok(r))
		return fail(st, -EINVAL, "record with an empty or unterminated field");
	BIND_STR(st, s, 1, r->owner);
	BIND_STR(st, s, 2, r->subnqn);
	bind_int(st, s, 3, r->port.trtype);
	bind_int(st, s, 4, r->port.adrfam);
	BIND_STR(st, s, 5, r->port.traddr);
	BIND_STR(st, s, 6, r->port.trsvcid);
	err = run(st, s);
	if (!err && sqlite3_changes(st->db) == 0)
		err = fail(st, -ENOENT, "no record %s of '%s' at %s:%s", r->subnqn, r->owner,
			   r->port.traddr, r->port.trsvcid);
	return err;
}

int store_counter_set(struct store *st, const char *name, uint64_t value)
{
	sqlite3_stmt *s = st->stmt[S_GENCTR_SET];
	int err = writable(st);

	if (err)
		return err;
	/* SQLite integers are signed; 2^63 generations are not going to happen. */
	if (value > INT64_MAX)
		return fail(st, -ERANGE, "%s %llu does not fit", name, (unsigned long long)value);
	bind_int(st, s, 1, (int64_t)value);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
	err = run(st, s);
	if (!err && sqlite3_changes(st->db) == 0)
		err = fail(st, -ERANGE, "%s %llu is below the stored one (or unknown)", name,
			   (unsigned long long)value);
	return err;
}

int store_zone_group_put(struct store *st, const struct store_zone_group *g)
{
	sqlite3_stmt *s = st->stmt[S_ZG_PUT];
	int err = writable(st);

	if (err)
		return err;
	sqlite3_bind_text(s, 1, g->orig, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, g->name, -1, SQLITE_TRANSIENT);
	bind_int(st, s, 3, g->key);
	bind_int(st, s, 4, g->gen);
	sqlite3_bind_text(s, 5, g->zones, -1, SQLITE_TRANSIENT);
	if (g->active)
		sqlite3_bind_text(s, 6, g->active, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 6);
	return run(st, s);
}

int store_zone_group_del(struct store *st, const char *orig, const char *name)
{
	sqlite3_stmt *s = st->stmt[S_ZG_DEL];
	int err = writable(st);

	if (err)
		return err;
	sqlite3_bind_text(s, 1, orig, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
	return run(st, s);
}

int store_zone_alias_put(struct store *st, const char *name, const char *members)
{
	sqlite3_stmt *s = st->stmt[S_ZA_PUT];
	int err = writable(st);

	if (err)
		return err;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, members, -1, SQLITE_TRANSIENT);
	return run(st, s);
}

int store_zone_alias_del(struct store *st, const char *name)
{
	sqlite3_stmt *s = st->stmt[S_ZA_DEL];
	int err = writable(st);

	if (err)
		return err;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	return run(st, s);
}

int store_host_auth_put(struct store *st, const struct store_host_auth *a)
{
	sqlite3_stmt *s = st->stmt[S_AUTH_PUT];
	int err = writable(st);

	if (err)
		return err;
	if (!a->hostnqn || !a->hostnqn[0] || !a->key || !a->key[0])
		return fail(st, -EINVAL, "host auth without a host or a key");
	bind_text(st, s, 1, a->hostnqn, CDC_NQN_MAX + 1);
	sqlite3_bind_text(s, 2, a->key, -1, SQLITE_TRANSIENT);
	if (a->ctrl_key)
		sqlite3_bind_text(s, 3, a->ctrl_key, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 3);
	if (a->require < 0)
		sqlite3_bind_null(s, 4);
	else
		bind_int(st, s, 4, a->require);
	err = run(st, s);
	/* SQLite's copies of the bound secrets are let go now, not at the next put. */
	sqlite3_clear_bindings(s);
	return err;
}

int store_host_auth_require(struct store *st, const char *hostnqn, bool require)
{
	sqlite3_stmt *s = st->stmt[S_AUTH_REQUIRE];
	int err = writable(st);

	if (err)
		return err;
	bind_text(st, s, 1, hostnqn, CDC_NQN_MAX + 1);
	bind_int(st, s, 2, require);
	err = run(st, s);
	if (!err && sqlite3_changes(st->db) == 0)
		err = fail(st, -ENOENT, "no keys for host %s", hostnqn);
	return err;
}

int store_host_auth_del(struct store *st, const char *hostnqn)
{
	sqlite3_stmt *s = st->stmt[S_AUTH_DEL];
	int err = writable(st);

	if (err)
		return err;
	bind_text(st, s, 1, hostnqn, CDC_NQN_MAX + 1);
	err = run(st, s);
	if (!err && sqlite3_changes(st->db) == 0)
		err = fail(st, -ENOENT, "no keys for host %s", hostnqn);
	return err;
}

int store_genctr_set(struct store *st, uint64_t genctr)
{
	return store_counter_set(st, "genctr", genctr);
}

/* Cut to what store_journal_read() can hand back, so that what is read is what was stored. */
#define JOURNAL_FIELD_MAX(f) (sizeof(((struct journal_entry *)0)->f) - 1)

int store_journal_add(struct store *st, int64_t when, const char *actor_nqn, const char *peer,
		      const char *action, const char *detail)
{
	sqlite3_stmt *s = st->stmt[S_JOURNAL_ADD];
	int err = writable(st);

	if (err)
		return err;
	bind_int(st, s, 1, when);
	bind_text(st, s, 2, actor_nqn, JOURNAL_FIELD_MAX(actor));
	bind_text(st, s, 3, peer, JOURNAL_FIELD_MAX(peer));
	bind_text(st, s, 4, action, JOURNAL_FIELD_MAX(action));
	bind_text(st, s, 5, detail, JOURNAL_FIELD_MAX(detail));
	return run(st, s);
}

int store_journal_trim(struct store *st, int64_t keep)
{
	sqlite3_stmt *s = st->stmt[S_JOURNAL_TRIM];
	int err = writable(st);

	if (err)
		return err;
	if (keep < 0)
		return fail(st, -EINVAL, "journal: keep %lld entries?", (long long)keep);
	bind_int(st, s, 1, keep);
	return run(st, s);
}

/* ---- reads ---- */

/* End a read: reset the statement, turning a stop by the caller or a bad row into the result. */
static int read_end(struct store *st, sqlite3_stmt *s, int rc, int err)
{
	if (!err && rc != SQLITE_DONE)
		err = sql_fail(st, rc);
	sqlite3_reset(s);
	return err;
}

static int bad_row(struct store *st, const char *table, int64_t n)
{
	log_err("store %s: row %lld of %s does not fit the record it stands for", st->path,
		(long long)n, table);
	return fail(st, -EIO, "a row of %s does not fit its record", table);
}

static int load_entities(struct store *st, const struct store_loader *ld)
{
	sqlite3_stmt *s = st->stmt[S_ENT_ALL];
	struct entity e;
	int64_t n = 0;
	int rc = SQLITE_DONE, err = 0;

	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		n++;
		if (!COL_STR(s, 0, e.nqn) || !COL_STR(s, 3, e.ename) || !COL_STR(s, 4, e.ever) ||
		    !COL_STR(s, 5, e.regnqn)) {
			err = bad_row(st, "entity", n);
			break;
		}
		e.etype = (uint8_t)sqlite3_column_int(s, 1);
		e.source = (uint8_t)sqlite3_column_int(s, 2);
		e.first_seen = sqlite3_column_int64(s, 6);
		e.last_seen = sqlite3_column_int64(s, 7);
		err = ld->entity(ld->arg, &e);
	}
	return read_end(st, s, rc, err);
}

static int load_hosts(struct store *st, const struct store_loader *ld)
{
	sqlite3_stmt *s = st->stmt[S_HOST_ALL];
	struct host_rec h;
	int64_t n = 0;
	int rc = SQLITE_DONE, err = 0;

	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const void *id = sqlite3_column_blob(s, 5);

		memset(&h, 0, sizeof(h));
		n++;
		if (!COL_STR(s, 0, h.hostnqn) || !COL_STR(s, 3, h.traddr) ||
		    !COL_STR(s, 4, h.trsvcid) || !COL_STR(s, 6, h.symname) || !id ||
		    sqlite3_column_bytes(s, 5) != (int)sizeof(h.hostid)) {
			err = bad_row(st, "host", n);
			break;
		}
		memcpy(h.hostid, id, sizeof(h.hostid));
		h.trtype = (uint8_t)sqlite3_column_int(s, 1);
		h.adrfam = (uint8_t)sqlite3_column_int(s, 2);
		h.sectype = (uint8_t)sqlite3_column_int(s, 7);
		h.source = (uint8_t)sqlite3_column_int(s, 8);
		err = ld->host(ld->arg, &h);
	}
	return read_end(st, s, rc, err);
}

static int load_recs(struct store *st, const struct store_loader *ld)
{
	sqlite3_stmt *s = st->stmt[S_REC_ALL];
	struct log_rec r;
	int64_t n = 0;
	int rc = SQLITE_DONE, err = 0;

	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		n++;
		if (!COL_STR(s, 0, r.owner) || !COL_STR(s, 1, r.subnqn) ||
		    !COL_STR(s, 10, r.port.traddr) || !COL_STR(s, 11, r.port.trsvcid)) {
			err = bad_row(st, "rec", n);
			break;
		}
		r.subtype = (uint8_t)sqlite3_column_int(s, 2);
		r.asqsz = (uint16_t)sqlite3_column_int(s, 3);
		r.source = (uint8_t)sqlite3_column_int(s, 4);
		r.port.trtype = (uint8_t)sqlite3_column_int(s, 5);
		r.port.adrfam = (uint8_t)sqlite3_column_int(s, 6);
		r.port.treq = (uint8_t)sqlite3_column_int(s, 7);
		r.port.sectype = (uint8_t)sqlite3_column_int(s, 8);
		r.port.portid = (uint16_t)sqlite3_column_int(s, 9);
		err = ld->rec(ld->arg, &r);
	}
	return read_end(st, s, rc, err);
}

static int load_counter(struct store *st, const char *name, uint64_t *genctr)
{
	sqlite3_stmt *s = st->stmt[S_GENCTR_GET];
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(s);
	int err = 0;

	if (rc == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(s, 0);

		if (sqlite3_column_type(s, 0) != SQLITE_INTEGER || v < 0)
			err = bad_row(st, "meta", 1);
		*genctr = (uint64_t)v;
		rc = SQLITE_DONE;
	} else if (rc == SQLITE_DONE) {
		err = bad_row(st, "meta", 0);
	}
	return read_end(st, s, rc, err);
}

int store_load(struct store *st, const struct store_loader *ld, uint64_t *genctr)
{
	int err;

	if (st->in_tx)
		return fail(st, -EBUSY, "load inside a write transaction");
	/* One read transaction: the records and GENCTR are one snapshot. */
	err = run(st, st->stmt[S_BEGIN_READ]);
	if (!err && ld->entity)
		err = load_entities(st, ld);
	if (!err && ld->host)
		err = load_hosts(st, ld);
	if (!err && ld->rec)
		err = load_recs(st, ld);
	if (!err)
		err = load_counter(st, "genctr", genctr);
	store_rollback(st);
	return err;
}

static int load_zone_groups(struct store *st, const struct store_zone_loader *ld)
{
	sqlite3_stmt *s = st->stmt[S_ZG_ALL];
	int64_t n = 0;
	int rc = SQLITE_DONE, err = 0;

	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_zone_group g = {
			.orig = (const char *)sqlite3_column_text(s, 0),
			.name = (const char *)sqlite3_column_text(s, 1),
			.key = (uint32_t)sqlite3_column_int64(s, 2),
			.gen = (uint32_t)sqlite3_column_int64(s, 3),
			.zones = (const char *)sqlite3_column_text(s, 4),
			.active = (const char *)sqlite3_column_text(s, 5),
		};
		n++;
		if (!g.orig || !g.name || !g.zones) {
			err = bad_row(st, "zone_group", n);
			break;
		}
		err = ld->group(ld->arg, &g);
	}
	return read_end(st, s, rc, err);
}

static int load_zone_aliases(struct store *st, const struct store_zone_loader *ld)
{
	sqlite3_stmt *s = st->stmt[S_ZA_ALL];
	int64_t n = 0;
	int rc = SQLITE_DONE, err = 0;

	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		const char *members = (const char *)sqlite3_column_text(s, 1);
		n++;
		if (!name || !members) {
			err = bad_row(st, "zone_alias", n);
			break;
		}
		err = ld->alias(ld->arg, name, members);
	}
	return read_end(st, s, rc, err);
}

int store_zone_load(struct store *st, const struct store_zone_loader *ld, uint64_t *next_key)
{
	if (st->in_tx)
		return fail(st, -EBUSY, "load inside a write transaction");
	/* Aliases first: an active copy is stored resolved, but a configured group names them. */
	int err = run(st, st->stmt[S_BEGIN_READ]);
	if (!err)
		err = load_zone_aliases(st, ld);
	if (!err)
		err = load_zone_groups(st, ld);
	if (!err)
		err = load_counter(st, "zone_next_key", next_key);
	store_rollback(st);
	return err;
}

int store_host_auth_load(struct store *st, int (*cb)(void *arg, const struct store_host_auth *a),
			 void *arg)
{
	sqlite3_stmt *s = st->stmt[S_AUTH_ALL];
	int64_t n = 0;
	int rc = SQLITE_DONE, err = 0;

	if (st->in_tx)
		return fail(st, -EBUSY, "load inside a write transaction");
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_host_auth a = {
			.hostnqn = (const char *)sqlite3_column_text(s, 0),
			.key = (const char *)sqlite3_column_text(s, 1),
			.ctrl_key = (const char *)sqlite3_column_text(s, 2),
			.require = sqlite3_column_int(s, 3) != 0,
		};
		n++;
		if (!a.hostnqn || !a.key) {
			err = bad_row(st, "host_auth", n);
			break;
		}
		err = cb(arg, &a);
	}
	return read_end(st, s, rc, err);
}

int store_counter_get(struct store *st, const char *name, uint64_t *value)
{
	if (st->in_tx)
		return fail(st, -EBUSY, "read inside a write transaction");
	return load_counter(st, name, value);
}

int store_journal_read(struct store *st, int64_t since, int limit,
		       int (*cb)(void *arg, const struct journal_entry *j), void *arg)
{
	sqlite3_stmt *s = st->stmt[S_JOURNAL_READ];
	struct journal_entry j;
	int rc = SQLITE_DONE, n = 0, err = 0;

	if (limit < 0)
		return fail(st, -EINVAL, "negative journal limit");
	bind_int(st, s, 1, since);
	bind_int(st, s, 2, limit);
	if (st->bind_rc != SQLITE_OK) {
		rc = st->bind_rc;
		st->bind_rc = SQLITE_OK;
		return read_end(st, s, rc, 0);
	}
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&j, 0, sizeof(j));
		if (!COL_STR(s, 2, j.actor) || !COL_STR(s, 3, j.peer) || !COL_STR(s, 4, j.action) ||
		    !COL_STR(s, 5, j.detail)) {
			err = bad_row(st, "journal", sqlite3_column_int64(s, 0));
			break;
		}
		j.id = sqlite3_column_int64(s, 0);
		j.when = sqlite3_column_int64(s, 1);
		err = cb(arg, &j);
		n++;
	}
	err = read_end(st, s, rc, err);
	return err ? err : n;
}

int store_journal_last(struct store *st, int64_t *id)
{
	if (st->in_tx)
		return fail(st, -EBUSY, "read inside a write transaction");
	return query_one(st, "SELECT coalesce(max(id), 0) FROM journal", NULL, 0, id);
}

const char *store_errmsg(const struct store *st)
{
	return st ? st->msg : "no store";
}
