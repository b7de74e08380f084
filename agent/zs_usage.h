//  zs_usage - the agent process's own resource use, for its heartbeats
//
//  cpu is the CPU time the process (not its tasks' processes) used since the last
//  reading, per mille of one CPU over the wall time between the two readings: 1000 is
//  one CPU busy all the time, more is several. rss is its resident memory in bytes,
//  from /proc/self/statm. Either is 0 when it cannot be read (0 is absent on the wire).

#ifndef ZS_USAGE_H
#define ZS_USAGE_H

#include <stdint.h>

//  The last reading, which the next one is measured against
typedef struct {
    int64_t wall_us;  //  monotonic clock, us; 0 before the first reading
    int64_t cpu_us;   //  user and system CPU time used, us
} zs_usage_t;

//  Read the process's use now into *cpu (per mille since the last reading; 0 at the
//  first) and *rss (bytes), and keep this reading in self.
void zs_usage_read(zs_usage_t *self, uint64_t *cpu, uint64_t *rss);

//  cpu_us of CPU time over wall_us of wall time, per mille, rounded; 0 when wall_us is
//  not positive. Pure; exposed for tests.
uint64_t zs_usage_per_mille(int64_t cpu_us, int64_t wall_us);

#endif
