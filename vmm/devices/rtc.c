/* CMOS RTC (MC146818) at ports 0x70/0x71: time read from the host clock in
 * BCD or binary and 12/24-hour as status register B says; no update in
 * progress, valid RAM and time. Without it Linux's boot took 16 s (the spike
 * in MACHINE-FACTS). Time writes are kept in CMOS RAM but not applied. */
#include "vmm/machine.h"

#include <stdlib.h>
#include <time.h>

#define RTC_SEC 0x00
#define RTC_MIN 0x02
#define RTC_HOUR 0x04
#define RTC_WDAY 0x06
#define RTC_MDAY 0x07
#define RTC_MON 0x08
#define RTC_YEAR 0x09
#define RTC_A 0x0a
#define RTC_B 0x0b
#define RTC_C 0x0c
#define RTC_D 0x0d
#define RTC_CENTURY 0x32
#define B_BINARY 0x04
#define B_24H 0x02

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[128];
};

static uint8_t rtc_enc(const struct rtc *r, unsigned v)
{
	return (r->cmos[RTC_B] & B_BINARY) ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t rtc_time_reg(const struct rtc *r, unsigned idx)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	switch (idx) {
	case RTC_SEC: return rtc_enc(r, (unsigned)tm.tm_sec);
	case RTC_MIN: return rtc_enc(r, (unsigned)tm.tm_min);
	case RTC_HOUR:
		if (r->cmos[RTC_B] & B_24H)
			return rtc_enc(r, (unsigned)tm.tm_hour);
		else {
			unsigned h = (unsigned)tm.tm_hour % 12;
			return (uint8_t)(rtc_enc(r, h ? h : 12) | (tm.tm_hour >= 12 ? 0x80 : 0));
		}
	case RTC_WDAY: return rtc_enc(r, (unsigned)tm.tm_wday + 1);
	case RTC_MDAY: return rtc_enc(r, (unsigned)tm.tm_mday);
	case RTC_MON: return rtc_enc(r, (unsigned)tm.tm_mon + 1);
	case RTC_YEAR: return rtc_enc(r, (unsigned)tm.tm_year % 100);
	default: return rtc_enc(r, (unsigned)(tm.tm_year + 1900) / 100);   /* century */
	}
}

static void rtc_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct rtc *r = opaque;
	uint8_t *d = data, v;
	pthread_mutex_lock(&r->lock);
	if (off == 0) {
		v = 0xff;   /* the index port is write-only */
	} else {
		switch (r->index) {
		case RTC_SEC: case RTC_MIN: case RTC_HOUR: case RTC_WDAY:
		case RTC_MDAY: case RTC_MON: case RTC_YEAR: case RTC_CENTURY:
			v = rtc_time_reg(r, r->index);
			break;
		case RTC_A: v = r->cmos[RTC_A] & 0x7f; break;   /* UIP = 0 */
		case RTC_C: v = 0; break;
		case RTC_D: v = 0x80; break;                   /* valid RAM and time */
		default: v = r->cmos[r->index]; break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	for (unsigned i = 0; i < len; i++)
		d[i] = i ? 0 : v;
}

static void rtc_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct rtc *r = opaque;
	uint8_t v = *(const uint8_t *)data;
	(void)len;
	pthread_mutex_lock(&r->lock);
	if (off == 0)
		r->index = v & 0x7f;   /* bit 7 is the NMI mask */
	else if (r->index != RTC_C && r->index != RTC_D)
		r->cmos[r->index] = v;
	pthread_mutex_unlock(&r->lock);
}

static const struct vmm_io_ops rtc_ops = { .read = rtc_read, .write = rtc_write };

static void rtc_free(void *opaque)
{
	struct rtc *r = opaque;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int vmm_rtc_add(struct vmm *vm, struct bh_error *err)
{
	struct rtc *r = calloc(1, sizeof(*r));
	if (!r)
		return bh_error_set(err, ENOMEM, "rtc");
	pthread_mutex_init(&r->lock, NULL);
	r->cmos[RTC_A] = 0x26;
	r->cmos[RTC_B] = B_24H;
	if (vmm_on_destroy(vm, rtc_free, r, err) < 0) {
		rtc_free(r);
		return -err->code;
	}
	if (vmm_pio_register(vm, 0x70, 2, &rtc_ops, r, err) < 0)
		return bh_error_wrap(err, "rtc");
	return 0;
}
