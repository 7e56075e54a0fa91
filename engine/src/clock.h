/*
 * clock.h - the engine's one clock.
 *
 * All engine time comes from here: the wall clock, or a simulated clock that only moves when a
 * clock.set / clock.advance command moves it (tests and the floor simulator). Domain code never
 * reads a clock: it receives `now` (ms UTC) in its command context.
 *
 * Threading: clock_now() is safe from any thread (atomic); clock_set() is called by the writer
 * thread only.
 */
#ifndef WMS_CLOCK_H
#define WMS_CLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct clock {
	bool sim;
	_Atomic int64_t sim_ms;
};

void clock_init(struct clock *c, bool sim, int64_t start_ms);
int64_t clock_now(const struct clock *c);
/* Moves a simulated clock. Never call on a wall clock. */
void clock_set(struct clock *c, int64_t ms);

#endif
