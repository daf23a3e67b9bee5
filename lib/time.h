/* The monotonic clock, as every deadline and duration in kage reads it. */
#ifndef KAGE_LIB_TIME_H
#define KAGE_LIB_TIME_H

#include <stdint.h>

/* Milliseconds and nanoseconds of CLOCK_MONOTONIC: never stepped by settimeofday or NTP, so a
 * deadline computed from it neither fires early nor waits forever when the wall clock moves. */
int64_t time__now_ms(void);
uint64_t time__now_ns(void);

#endif
