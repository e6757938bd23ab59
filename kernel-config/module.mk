# Guest kernel: built outside the tree, in $(BULKHEAD_CACHE)/kernel
# (see kernel-config/build-kernel.sh). Not part of `all`: a cold build takes
# about 10 minutes; tests/suites/60-guest-kernel runs it when needed.
kernel:
	@kernel-config/build-kernel.sh
