/* 16550A UART emulation, enough for Linux's 8250 driver in interrupt mode. */
#include "serial.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../lib/io.h"
#include "../vmm/loop.h"

/* Register offsets; DLAB switches 0 and 1 to the divisor latch. */
enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xc0
#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_DCD 0x80
#define MSR_DSR 0x20
#define MSR_CTS 0x10

#define RX_SIZE 256
#define TAIL_SIZE 4096
#define LINE_MAX_LEN 512

struct serial {
	pthread_mutex_t lock;
	const struct serial_ops *ops;
	void *ctx;
	int out_fd, in_fd;
	struct loop *loop;
	bool in_paused;

	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thri_pending;	/* THR empty interrupt, cleared by reading IIR or writing THR */
	int irq_level;

	uint8_t rx[RX_SIZE];
	unsigned int rx_head, rx_len;

	char tail[TAIL_SIZE + 1];
	unsigned int tail_len;
	char line[LINE_MAX_LEN + 1];
	unsigned int line_len;
};

int serial__create(struct serial **out, const struct serial_ops *ops, void *ctx, int out_fd,
		   struct err **err)
{
	struct serial *s = calloc(1, sizeof(*s));

	if (!s)
		return err_errno(err, "allocate the serial port");
	pthread_mutex_init(&s->lock, NULL);
	s->ops = ops;
	s->ctx = ctx;
	s->out_fd = out_fd;
	s->in_fd = -1;
	s->mcr = 0x08;	/* OUT2: the PC routes the UART's interrupt only with it set */
	*out = s;
	return 0;
}

static uint8_t pending_iir(struct serial *s)
{
	if ((s->ier & IER_RDI) && s->rx_len)
		return IIR_RDI;
	if ((s->ier & IER_THRI) && s->thri_pending)
		return IIR_THRI;
	return IIR_NO_INT;
}

/* The line follows the pending state; the interrupt controller turns a rise into an edge. */
static void update_irq(struct serial *s)
{
	int level = pending_iir(s) != IIR_NO_INT;

	if (level != s->irq_level) {
		s->irq_level = level;
		s->ops->irq(s->ctx, level);
	}
}

static void record_output(struct serial *s, char c)
{
	if (s->tail_len == TAIL_SIZE) {
		memmove(s->tail, s->tail + TAIL_SIZE / 2, TAIL_SIZE / 2);
		s->tail_len = TAIL_SIZE / 2;
	}
	s->tail[s->tail_len++] = c;
	s->tail[s->tail_len] = 0;

	if (c == '\n' || s->line_len == LINE_MAX_LEN) {
		s->line[s->line_len] = 0;
		if (s->ops->line)
			s->ops->line(s->ctx, s->line);
		s->line_len = 0;
		return;
	}
	if (c != '\r')
		s->line[s->line_len++] = c;
}

static void transmit(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		if (s->rx_len < RX_SIZE)
			s->rx[(s->rx_head + s->rx_len++) % RX_SIZE] = c;
		return;
	}
	/* A console nobody reads must not stall the guest: a failed write is dropped. */
	if (s->out_fd >= 0)
		io__write_all(s->out_fd, &c, 1);
	record_output(s, c);
}

static void resume_input(struct serial *s)
{
	if (s->in_paused && s->rx_len < RX_SIZE) {
		s->in_paused = false;
		loop__modify(s->loop, s->in_fd, EPOLLIN);
	}
}

static uint8_t reg_read(struct serial *s, unsigned int reg)
{
	uint8_t v;

	switch (reg) {
	case RBR_THR:
		if (s->lcr & LCR_DLAB)
			return s->dll;
		if (!s->rx_len)
			return 0;
		v = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % RX_SIZE;
		s->rx_len--;
		resume_input(s);
		return v;
	case IER:
		return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
	case IIR_FCR:
		v = pending_iir(s);
		/* Reading IIR acknowledges a THR-empty interrupt, as on the real chip. */
		if (v == IIR_THRI)
			s->thri_pending = false;
		return v | ((s->fcr & 1) ? IIR_FIFO : 0);
	case LCR:
		return s->lcr;
	case MCR:
		return s->mcr;
	case LSR:
		/* Output is instantaneous: the transmitter is always empty. */
		return LSR_THRE | LSR_TEMT | (s->rx_len ? LSR_DR : 0);
	case MSR:
		if (s->mcr & MCR_LOOP)
			return ((s->mcr & 0x0c) << 4) | ((s->mcr & 0x03) << 4);
		return MSR_DCD | MSR_DSR | MSR_CTS;
	default:
		return s->scr;
	}
}

static void reg_write(struct serial *s, unsigned int reg, uint8_t v)
{
	switch (reg) {
	case RBR_THR:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
			return;
		}
		transmit(s, v);
		s->thri_pending = true;
		return;
	case IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			return;
		}
		/* Enabling THRI while the transmitter is empty raises it at once. */
		if (!(s->ier & IER_THRI) && (v & IER_THRI))
			s->thri_pending = true;
		s->ier = v & 0x0f;
		return;
	case IIR_FCR:
		s->fcr = v;
		if (v & 0x02) {	/* clear the receive FIFO */
			s->rx_len = 0;
			resume_input(s);
		}
		return;
	case LCR:
		s->lcr = v;
		return;
	case MCR:
		s->mcr = v & 0x1f;
		return;
	case SCR:
		s->scr = v;
		return;
	default:
		return;	/* LSR and MSR are read-only */
	}
}

void serial__io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct serial *s = opaque;

	if (offset > SCR || len != 1) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (is_write)
		reg_write(s, offset, data[0]);
	else
		data[0] = reg_read(s, offset);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static void on_input(void *opaque, uint32_t events)
{
	struct serial *s = opaque;
	uint8_t buf[RX_SIZE];

	pthread_mutex_lock(&s->lock);
	size_t room = RX_SIZE - s->rx_len;
	ssize_t n = room ? read(s->in_fd, buf, room) : 0;

	if (n > 0) {
		for (ssize_t i = 0; i < n; i++)
			s->rx[(s->rx_head + s->rx_len++) % RX_SIZE] = buf[i];
		update_irq(s);
	}
	if (n == 0 && room) {
		loop__del(s->loop, s->in_fd);	/* end of input: nothing more will come */
	} else if (s->rx_len == RX_SIZE) {
		/* Full: stop reading until the guest drains it, so no byte is dropped. */
		s->in_paused = true;
		loop__modify(s->loop, s->in_fd, 0);
	}
	pthread_mutex_unlock(&s->lock);
	(void)events;
}

int serial__attach_input(struct serial *s, struct loop *loop, int in_fd, struct err **err)
{
	s->loop = loop;
	s->in_fd = in_fd;
	if (loop__add(loop, in_fd, EPOLLIN, on_input, s, err) < 0) {
		s->in_fd = -1;
		return -1;
	}
	return 0;
}

const char *serial__tail(struct serial *s)
{
	return s->tail;
}

void serial__destroy(struct serial *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}
