/* clock.c - wall or simulated time (see clock.h). */
#include "clock.h"

#include "wms/time.h"

void clock_init(struct clock *c, bool sim, int64_t start_ms)
{
	c->sim = sim;
	atomic_store(&c->sim_ms, start_ms);
}

int64_t clock_now(const struct clock *c)
{
	if (c->sim)
		return atomic_load(&((struct clock *)c)->sim_ms);
	return wms_wall_ms();
}

void clock_set(struct clock *c, int64_t ms)
{
	atomic_store(&c->sim_ms, ms);
}
