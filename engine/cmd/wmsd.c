/*
 * wmsd - the engine daemon.
 *
 *   wmsd [--data DIR] [--listen URL] [--events URL] [--sim-clock] [--sim-start TIME]
 *        [--seed FILE] [--map-size MIB] [--contexts N] [--quiet|--verbose]
 *
 * Runs until SIGINT or SIGTERM, then stops accepting, finishes and commits what is queued,
 * and closes.
 */
#include "log.h"
#include "wms/engine.h"
#include "wms/time.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct wms_engine *engine;
static volatile sig_atomic_t stop_requested; /* also a signal that came while seeding */

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
	if (engine)
		wms_engine_request_stop(engine);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: wmsd [options]\n"
	           "  --data DIR        LMDB data directory (default ./var/wms)\n"
	           "  --listen URL      commands, REQ/REP (default tcp://127.0.0.1:7450)\n"
	           "  --events URL      event stream, PUB (default tcp://127.0.0.1:7451)\n"
	           "  --sim-clock       simulated clock, moved by clock.set / clock.advance\n"
	           "  --sim-start TIME  start of the simulated clock for a new store (RFC 3339)\n"
	           "  --seed FILE       load this network file when the store has no warehouse\n"
	           "  --map-size MIB    initial LMDB map size (grown on demand)\n"
	           "  --contexts N      concurrent REP contexts (default 256)\n"
	           "  --quiet, --verbose\n");
}

int main(int argc, char **argv)
{
	struct wms_engine_config cfg = WMS_ENGINE_CONFIG_INIT;
	const char *seed = NULL;
	cfg.listen_url = "tcp://127.0.0.1:7450";
	cfg.events_url = "tcp://127.0.0.1:7451";
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "events", required_argument, NULL, 'e' },
		{ "sim-clock", no_argument, NULL, 's' },
		{ "sim-start", required_argument, NULL, 'S' },
		{ "seed", required_argument, NULL, 'f' },
		{ "map-size", required_argument, NULL, 'm' },
		{ "contexts", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "d:l:e:sS:f:m:c:qvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			cfg.data_dir = optarg;
			break;
		case 'l':
			cfg.listen_url = optarg;
			break;
		case 'e':
			cfg.events_url = optarg;
			break;
		case 's':
			cfg.sim_clock = true;
			break;
		case 'S':
			if (wms_time_parse(optarg, &cfg.sim_start_ms)) {
				fprintf(stderr, "wmsd: --sim-start '%s' is not an RFC 3339 time\n",
				        optarg);
				return 2;
			}
			cfg.sim_clock = true;
			break;
		case 'f':
			seed = optarg;
			break;
		case 'm':
			cfg.map_size = (size_t)strtoull(optarg, NULL, 10) << 20;
			break;
		case 'c':
			cfg.contexts = atoi(optarg);
			break;
		case 'q':
			log_level_current = LOG_WARN;
			break;
		case 'v':
			log_level_current = LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	struct wms_error err = WMS_ERROR_INIT;
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int rc;
	if (seed) {
		/* Seed before serving: a client that connects at once must not see an empty store
		 * (or half a network). The engine runs without sockets for it, then restarts. */
		struct wms_engine_config quiet = cfg;
		quiet.listen_url = NULL;
		quiet.events_url = NULL;
		size_t loaded = 0;
		if ((rc = wms_engine_open(&quiet, &engine, &err)) == 0 &&
		    (rc = wms_engine_seed(engine, seed, &loaded, &err)) != 0)
			LOG(LOG_ERROR, "seed %s: %s [%s%s%s]; nothing was loaded", seed,
			    err.message, wms_errname(rc), err.field[0] ? ", field " : "",
			    err.field);
		else if (rc)
			LOG(LOG_ERROR, "cannot start: %s (%s)", err.message, wms_errname(rc));
		else if (loaded)
			LOG(LOG_INFO, "seeded the empty store from %s: %zu requests", seed, loaded);
		wms_engine_close(engine);
		engine = NULL;
		if (rc)
			return 1;
	}
	if (stop_requested)
		return 0;
	rc = wms_engine_open(&cfg, &engine, &err);
	if (rc) {
		LOG(LOG_ERROR, "cannot start: %s (%s)", err.message, wms_errname(rc));
		return 1;
	}
	if (stop_requested)
		wms_engine_request_stop(engine);
	LOG(LOG_INFO, "serving commands on %s, events on %s, data in %s%s", cfg.listen_url,
	    cfg.events_url, cfg.data_dir, cfg.sim_clock ? ", simulated clock" : "");
	wms_engine_wait(engine);
	LOG(LOG_INFO, "stopping: finishing queued commands");
	wms_engine_close(engine);
	engine = NULL;
	LOG(LOG_INFO, "stopped");
	return 0;
}
