/* store.c - LMDB behind the store API (see store.h). */
#include "jtext.h"
#include "store.h"

#include "wms/codec.h"
#include "wms/errors.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAP     (256UL << 20)
#define DEFAULT_MAP_MAX (64UL << 30)

static const char *const table_names[STORE_NTABLES] = {
#define STORE_TBL_NAME(sym, name) name,
	STORE_TABLES(STORE_TBL_NAME)
#undef STORE_TBL_NAME
};

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_NTABLES];
	size_t map_size;
	size_t map_max;
	int lock_fd; /* DIR/engine.lock, held exclusively while the store is open */
	/* Readers hold it shared for the life of their transaction; store_grow holds it
	 * exclusively, because LMDB may only be resized with no transaction open. */
	pthread_rwlock_t resize;
};

struct store_txn {
	struct store *s;
	MDB_txn *txn;
	bool rdonly;
};

struct store_cursor {
	MDB_cursor *cur;
};

static int map_err(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case MDB_NOTFOUND:
		return WMS_ENOTFOUND;
	case MDB_KEYEXIST:
		return WMS_ECONFLICT;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return WMS_EMAPFULL;
	case ENOMEM:
		return WMS_ENOMEM;
	default:
		return WMS_EIO;
	}
}

static int mkdir_p(const char *dir)
{
	char buf[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0755) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

#define LOCK_NAME "/engine.lock"

/*
 * Takes DIR's engine lock. LMDB lets several processes write one environment, but the engine
 * keeps counters and caches of its own store in memory (order numbers, the event sequence):
 * two engines on one directory would hand out the same numbers. flock, not fcntl locks: it
 * belongs to the open file, so it also refuses a second open within one process, and the
 * kernel drops it when the process dies (kill -9 leaves nothing to clean up).
 */
static int lock_dir(const char *dir, int *fd_out)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s" LOCK_NAME, dir) >= (int)sizeof(path))
		return WMS_EIO;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return WMS_EIO;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;
		close(fd);
		return busy ? WMS_EBUSY : WMS_EIO;
	}
	/* The holder's pid, for the message a second engine gives (store_lock_owner). */
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		close(fd);
		return WMS_EIO;
	}
	*fd_out = fd;
	return 0;
}

long store_lock_owner(const char *dir)
{
	char path[4096], buf[32] = { 0 };
	if (snprintf(path, sizeof(path), "%s" LOCK_NAME, dir) >= (int)sizeof(path))
		return 0;
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return 0;
	long pid = 0;
	if (fgets(buf, sizeof(buf), f))
		pid = strtol(buf, NULL, 10);
	fclose(f);
	return pid > 0 ? pid : 0;
}

int store_open(const char *dir, const struct store_opts *opts, struct store **out)
{
	struct store *s = calloc(1, sizeof(*s));
	MDB_txn *txn = NULL;
	int rc;
	if (s == NULL)
		return WMS_ENOMEM;
	s->lock_fd = -1;
	s->map_size = opts && opts->map_size ? opts->map_size : DEFAULT_MAP;
	s->map_max = opts && opts->map_max ? opts->map_max : DEFAULT_MAP_MAX;
	if (s->map_max < s->map_size)
		s->map_max = s->map_size;
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	/* A waiting resize must not starve behind a stream of readers. */
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->resize, &ra);
	pthread_rwlockattr_destroy(&ra);

	if (mkdir_p(dir) != 0) {
		rc = WMS_EIO;
		goto fail;
	}
	if ((rc = lock_dir(dir, &s->lock_fd)))
		goto fail;
	if ((rc = mdb_env_create(&s->env)) != 0)
		goto fail_mdb;
	if ((rc = mdb_env_set_maxdbs(s->env, 64)) != 0 ||
	    (rc = mdb_env_set_maxreaders(s->env, 1024)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, s->map_size)) != 0)
		goto fail_mdb;
	/* MDB_NOTLS: read transactions run on nng's pool threads, not tied to one thread. */
	if ((rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0644)) != 0)
		goto fail_mdb;
	int dead = 0;
	mdb_reader_check(s->env, &dead); /* slots of processes that died (kill -9) */

	MDB_envinfo info;
	mdb_env_info(s->env, &info);
	s->map_size = info.me_mapsize; /* an existing environment keeps its larger map */
	if (s->map_max < s->map_size)
		s->map_max = s->map_size;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		goto fail_mdb;
	for (int i = 0; i < STORE_NTABLES; i++)
		if ((rc = mdb_dbi_open(txn, table_names[i], MDB_CREATE, &s->dbi[i])) != 0)
			goto fail_mdb;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0)
		goto fail_mdb;
	*out = s;
	return 0;
fail_mdb:
	rc = map_err(rc);
fail:
	if (txn)
		mdb_txn_abort(txn);
	if (s->env)
		mdb_env_close(s->env);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	pthread_rwlock_destroy(&s->resize);
	free(s);
	return rc;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	mdb_env_close(s->env);
	close(s->lock_fd); /* after LMDB: the next engine may open as soon as it is free */
	pthread_rwlock_destroy(&s->resize);
	free(s);
}

size_t store_map_size(const struct store *s)
{
	return s->map_size;
}

int store_grow(struct store *s)
{
	if (s->map_size >= s->map_max)
		return WMS_EMAPFULL;
	size_t next = s->map_size * 2;
	if (next > s->map_max)
		next = s->map_max;
	pthread_rwlock_wrlock(&s->resize);
	int rc = mdb_env_set_mapsize(s->env, next);
	if (rc == 0)
		s->map_size = next;
	pthread_rwlock_unlock(&s->resize);
	return map_err(rc);
}

static int txn_begin(struct store *s, MDB_txn *parent, unsigned flags, bool rdonly,
                     struct store_txn **out)
{
	struct store_txn *t = malloc(sizeof(*t));
	if (t == NULL)
		return WMS_ENOMEM;
	if (rdonly)
		pthread_rwlock_rdlock(&s->resize);
	int rc = mdb_txn_begin(s->env, parent, flags, &t->txn);
	if (rc == MDB_MAP_RESIZED) {
		/* Another process grew the map: adopt its size and try once more. */
		mdb_env_set_mapsize(s->env, 0);
		rc = mdb_txn_begin(s->env, parent, flags, &t->txn);
	}
	if (rc != 0) {
		if (rdonly)
			pthread_rwlock_unlock(&s->resize);
		free(t);
		return map_err(rc);
	}
	t->s = s;
	t->rdonly = rdonly;
	*out = t;
	return 0;
}

int store_read_begin(struct store *s, struct store_txn **out)
{
	return txn_begin(s, NULL, MDB_RDONLY, true, out);
}

int store_write_begin(struct store *s, struct store_txn **out)
{
	return txn_begin(s, NULL, 0, false, out);
}

int store_nested_begin(struct store_txn *parent, struct store_txn **out)
{
	return txn_begin(parent->s, parent->txn, 0, false, out);
}

int store_commit(struct store_txn *t)
{
	int rc = mdb_txn_commit(t->txn);
	if (t->rdonly)
		pthread_rwlock_unlock(&t->s->resize);
	free(t);
	return map_err(rc);
}

void store_abort(struct store_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	if (t->rdonly)
		pthread_rwlock_unlock(&t->s->resize);
	free(t);
}

bool store_txn_readonly(const struct store_txn *t)
{
	return t->rdonly;
}

int store_get(struct store_txn *t, enum store_tbl tbl, const void *key, size_t klen,
              struct store_val *out)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc = mdb_get(t->txn, t->s->dbi[tbl], &k, &v);
	if (rc == 0) {
		out->data = v.mv_data;
		out->len = v.mv_size;
	}
	return map_err(rc);
}

int store_put(struct store_txn *t, enum store_tbl tbl, const void *key, size_t klen,
              const void *val, size_t vlen, unsigned flags)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	unsigned f = 0;
	if (flags & STORE_NOOVERWRITE)
		f |= MDB_NOOVERWRITE;
	if (flags & STORE_APPEND)
		f |= MDB_APPEND;
	return map_err(mdb_put(t->txn, t->s->dbi[tbl], &k, &v, f));
}

int store_del(struct store_txn *t, enum store_tbl tbl, const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)key };
	return map_err(mdb_del(t->txn, t->s->dbi[tbl], &k, NULL));
}

int store_get_json(struct store_txn *t, enum store_tbl tbl, const void *key, size_t klen,
                   json_t **out)
{
	struct store_val v;
	int rc = store_get(t, tbl, key, klen, &v);
	if (rc)
		return rc;
	json_t *doc = jtext_load(v.data, v.len);
	if (doc == NULL)
		return WMS_EIO; /* the store only ever holds JSON the engine wrote */
	*out = doc;
	return 0;
}

int store_put_json(struct store_txn *t, enum store_tbl tbl, const void *key, size_t klen,
                   const json_t *doc, unsigned flags)
{
	struct jbuf b;
	JBUF_INIT(&b);
	int rc = jtext_dump(doc, &b) ? WMS_ENOMEM : store_put(t, tbl, key, klen, b.p, b.len, flags);
	jbuf_release(&b);
	return rc;
}

static void be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t be64_get(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int store_counter_get(struct store_txn *t, const char *name, uint64_t *out)
{
	struct store_val v;
	int rc = store_get(t, STORE_META, name, strlen(name), &v);
	if (rc == WMS_ENOTFOUND) {
		*out = 0;
		return 0;
	}
	if (rc)
		return rc;
	if (v.len != 8)
		return WMS_EIO;
	*out = be64_get(v.data);
	return 0;
}

int store_counter_next(struct store_txn *t, const char *name, uint64_t *out)
{
	uint64_t cur;
	int rc = store_counter_get(t, name, &cur);
	if (rc)
		return rc;
	uint8_t buf[8];
	be64_put(buf, cur + 1);
	rc = store_put(t, STORE_META, name, strlen(name), buf, 8, 0);
	if (rc == 0)
		*out = cur + 1;
	return rc;
}

int store_cursor_open(struct store_txn *t, enum store_tbl tbl, struct store_cursor **out)
{
	struct store_cursor *c = malloc(sizeof(*c));
	if (c == NULL)
		return WMS_ENOMEM;
	int rc = mdb_cursor_open(t->txn, t->s->dbi[tbl], &c->cur);
	if (rc) {
		free(c);
		return map_err(rc);
	}
	*out = c;
	return 0;
}

static int cursor_get(struct store_cursor *c, MDB_val *k, MDB_cursor_op op, struct store_val *ko,
                      struct store_val *vo)
{
	MDB_val v;
	int rc = mdb_cursor_get(c->cur, k, &v, op);
	if (rc)
		return map_err(rc);
	if (ko) {
		ko->data = k->mv_data;
		ko->len = k->mv_size;
	}
	if (vo) {
		vo->data = v.mv_data;
		vo->len = v.mv_size;
	}
	return 0;
}

int store_cursor_seek(struct store_cursor *c, const void *key, size_t klen, struct store_val *k,
                      struct store_val *v)
{
	MDB_val mk = { klen, (void *)key };
	if (key == NULL)
		return cursor_get(c, &mk, MDB_FIRST, k, v);
	return cursor_get(c, &mk, MDB_SET_RANGE, k, v);
}

int store_cursor_next(struct store_cursor *c, struct store_val *k, struct store_val *v)
{
	MDB_val mk;
	return cursor_get(c, &mk, MDB_NEXT, k, v);
}

int store_cursor_prev(struct store_cursor *c, struct store_val *k, struct store_val *v)
{
	MDB_val mk;
	return cursor_get(c, &mk, MDB_PREV, k, v);
}

int store_cursor_last(struct store_cursor *c, struct store_val *k, struct store_val *v)
{
	MDB_val mk;
	return cursor_get(c, &mk, MDB_LAST, k, v);
}

int store_cursor_del(struct store_cursor *c)
{
	return map_err(mdb_cursor_del(c->cur, 0));
}

void store_cursor_close(struct store_cursor *c)
{
	if (c == NULL)
		return;
	mdb_cursor_close(c->cur);
	free(c);
}

int store_count(struct store_txn *t, enum store_tbl tbl, size_t *out)
{
	MDB_stat st;
	int rc = mdb_stat(t->txn, t->s->dbi[tbl], &st);
	if (rc == 0)
		*out = st.ms_entries;
	return map_err(rc);
}
