/* nngclose.c - closing an nng socket without hanging for ever (see wms/nngclose.h). */
#include "wms/nngclose.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct closer {
	nng_socket sock;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done, abandoned;
};

static void closer_free(struct closer *c)
{
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}

/* Whichever of the closer and the caller finishes last frees the shared state. */
static void *closer_main(void *arg)
{
	struct closer *c = arg;
	nng_close(c->sock);
	pthread_mutex_lock(&c->mu);
	c->done = true;
	bool abandoned = c->abandoned;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (abandoned)
		closer_free(c);
	return NULL;
}

bool wms_nng_close(nng_socket sock, int wait_ms)
{
	struct closer *c = calloc(1, sizeof(*c));
	pthread_condattr_t a;
	pthread_t th;
	if (c == NULL || pthread_condattr_init(&a) != 0) {
		free(c);
		nng_close(sock); /* no memory for a helper: close here */
		return true;
	}
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, &a);
	pthread_condattr_destroy(&a);
	c->sock = sock;
	if (pthread_create(&th, NULL, closer_main, c) != 0) {
		closer_free(c);
		nng_close(sock);
		return true;
	}
	pthread_detach(th);
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += wait_ms / 1000;
	dl.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->mu);
	while (!c->done && pthread_cond_timedwait(&c->cv, &c->mu, &dl) == 0)
		;
	bool done = c->done;
	c->abandoned = !done;
	pthread_mutex_unlock(&c->mu);
	if (done)
		closer_free(c);
	return done;
}
