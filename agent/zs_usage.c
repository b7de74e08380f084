//  zs_usage - see zs_usage.h

#include "agent/zs_usage.h"

#include <czmq.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

uint64_t
zs_usage_per_mille(int64_t cpu_us, int64_t wall_us)
{
    if (wall_us <= 0 || cpu_us <= 0) {
        return 0;
    }
    return (uint64_t) ((cpu_us * 1000 + wall_us / 2) / wall_us);
}

static int64_t
s_cpu_us(void)
{
    struct rusage use;
    if (getrusage(RUSAGE_SELF, &use) != 0) {
        return 0;
    }
    return ((int64_t) use.ru_utime.tv_sec + use.ru_stime.tv_sec) * 1000000 +
           use.ru_utime.tv_usec + use.ru_stime.tv_usec;
}

//  Resident pages (the second number of /proc/self/statm) in bytes, or 0
static uint64_t
s_rss(void)
{
    FILE *file = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    bool read = file && fscanf(file, "%llu %llu", &size, &resident) == 2;
    if (file) {
        fclose(file);
    }
    long page = sysconf(_SC_PAGESIZE);
    return read && page > 0 ? (uint64_t) resident * (uint64_t) page : 0;
}

void
zs_usage_read(zs_usage_t *self, uint64_t *cpu, uint64_t *rss)
{
    int64_t wall_us = zclock_usecs();
    int64_t cpu_us = s_cpu_us();
    *cpu = self->wall_us
               ? zs_usage_per_mille(cpu_us - self->cpu_us, wall_us - self->wall_us)
               : 0;
    *rss = s_rss();
    self->wall_us = wall_us;
    self->cpu_us = cpu_us;
}
