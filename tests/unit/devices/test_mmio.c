/*
 * The virtio-mmio status state machine, driven through its register handler without a VM:
 * mmio.c is included (its one public function renamed, since the library objects define it)
 * to reach the static handler. tests/fuzz/fuzz_mmio.c checks the same rules on random input.
 */
#define virtio_mmio__add test_virtio_mmio__add
#include "devices/virtio/mmio.c"
#undef virtio_mmio__add

#include "lib/log.h"
#include "tests/unit/tap.h"

static bool refuse_activation;

static uint64_t dummy_features(struct virtio_dev *dev)
{
	(void)dev;
	return 0;
}

static int dummy_activate(struct virtio_dev *dev, struct err **err)
{
	(void)dev;
	return refuse_activation ? err_msg(err, "refused") : 0;
}

static const struct virtio_dev_ops dummy_ops = {
	.name = "dummy",
	.num_queues = 0,
	.features = dummy_features,
	.activate = dummy_activate,
};

static struct virtio_dev dev;
static struct virtio_mmio t;

static void setup(void)
{
	memset(&dev, 0, sizeof(dev));
	memset(&t, 0, sizeof(t));
	pthread_mutex_init(&dev.lock, NULL);
	dev.ops = &dummy_ops;
	t.dev = &dev;
	t.irq_timer = -1;
	t.irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	dev.irq = (struct virtio_irq){ .notify_queue = irq_queue, .notify_config = irq_config,
				       .ctx = &t };
}

static void teardown(void)
{
	close(t.irq_fd);
	pthread_mutex_destroy(&dev.lock);
}

static void wr(uint64_t off, uint32_t v)
{
	mmio_io(&t, off, (uint8_t *)&v, 4, true);
}

static uint32_t rd(uint64_t off)
{
	uint32_t v = 0;

	mmio_io(&t, off, (uint8_t *)&v, 4, false);
	return v;
}

static const uint32_t ACK_DRIVER = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

/* ACKNOWLEDGE, DRIVER, features, FEATURES_OK, DRIVER_OK one at a time: the device goes live. */
static void test_negotiation(void)
{
	setup();
	CHECK(rd(VIRTIO_MMIO_MAGIC_VALUE) == MMIO_MAGIC && rd(VIRTIO_MMIO_VERSION) == 2,
	      "magic and version");
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, ACK_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);	/* VERSION_1 is bit 32 */
	wr(VIRTIO_MMIO_STATUS, ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK, "FEATURES_OK with VERSION_1");
	wr(VIRTIO_MMIO_STATUS, ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	CHECK(dev.active && (rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK), "DRIVER_OK: active");
	wr(VIRTIO_MMIO_STATUS, ACK_DRIVER);
	CHECK(dev.active && (rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK),
	      "a status write that clears bits is ignored");
	wr(VIRTIO_MMIO_STATUS, 0);
	CHECK(!dev.active && rd(VIRTIO_MMIO_STATUS) == 0, "0 resets");
	teardown();
}

/*
 * FEATURES_OK and DRIVER_OK in one write, with a feature set the device refuses (no
 * VERSION_1): FEATURES_OK is refused, so DRIVER_OK cannot stand either. Found by fuzz_mmio:
 * the device went live with DRIVER_OK but without FEATURES_OK and no features acked.
 */
static void test_refused_features_with_driver_ok(void)
{
	uint32_t s;

	setup();
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, ACK_DRIVER);
	wr(VIRTIO_MMIO_STATUS, ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	s = rd(VIRTIO_MMIO_STATUS);
	CHECK(!(s & VIRTIO_CONFIG_S_FEATURES_OK), "FEATURES_OK refused without VERSION_1");
	CHECK(!(s & VIRTIO_CONFIG_S_DRIVER_OK) && !dev.active,
	      "and DRIVER_OK in the same write does not take (status %#x, active %d)", s,
	      dev.active);
	teardown();
}

/* A device that refuses to activate says DEVICE_NEEDS_RESET and stays inactive. */
static void test_activation_failure(void)
{
	setup();
	refuse_activation = true;
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, ACK_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(VIRTIO_MMIO_STATUS, ACK_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	CHECK(!dev.active && (rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET),
	      "refused activation: DEVICE_NEEDS_RESET, not active");
	CHECK(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG,
	      "and a config interrupt tells the driver");
	refuse_activation = false;
	teardown();
}

int main(void)
{
	/* The refusals log errors; they are expected here. */
	log__init("/dev/null", LOG_TEXT, LOG_ERROR, NULL);
	test_negotiation();
	test_refused_features_with_driver_ok();
	test_activation_failure();
	return tap_done();
}
