// A Ginkgo suite whose containers must-gather keeps when specs fail — with no must-gather code in it: run
// the suite under `must-gather record`, which follows the service's containers from before the first one
// starts until the command exits, so the logs of containers the suite removes in its own teardown are kept:
//
//	npx must-gather record orders -- go test ./examples/go-ginkgo/
//	npx must-gather record orders --command-timeout 30m --archive -- ginkgo -p ./test/integration/orders
//
// It exits with the suite's exit code, and keeps the run folder only when the suite failed (--when always
// keeps it anyway). A suite killed or timed out (--command-timeout) keeps its evidence too: the recording
// does not depend on SynchronizedAfterSuite running.
//
// Written for Ginkgo v1 (1.16, the version Debian packages as golang-github-onsi-ginkgo-dev) so that this
// repository's test suite can run it without a network:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode npx must-gather record orders -- go test ./examples/go-ginkgo/
//
// With Ginkgo v2, change the import to . "github.com/onsi/ginkgo/v2" (gomega stays github.com/onsi/gomega);
// SynchronizedBeforeSuite and SynchronizedAfterSuite keep their shape.
//
// Cannot wrap the command? Gather as a step between the tests and the cleanup instead:
// `go test ./...; must-gather <service> --if-failed --exit-code $?`, as ../Makefile does.
//
// The containers stand in for your own (testcontainers, compose, a script), as ../containers.js does for
// the JavaScript examples: EXAMPLE_SERVICE (default orders), EXAMPLE_ENGINE (podman or docker),
// EXAMPLE_IMAGE.
package integration_test

import (
	"os"
	"os/exec"
	"testing"

	. "github.com/onsi/ginkgo"
	. "github.com/onsi/gomega"
)

var (
	service = envOr("EXAMPLE_SERVICE", "orders")
	engine  = envOr("EXAMPLE_ENGINE", "podman")
	image   = envOr("EXAMPLE_IMAGE", "localhost/must-gather-busybox:latest")
)

// Each container prints a line or two, then stays up, as a database or a cache would.
var containers = map[string]string{
	service + "_postgres_test": `echo "postgres: database system is ready to accept connections"; echo "ERROR: relation \"orders\" does not exist" >&2`,
	service + "_redis_test":    `echo "redis: Ready to accept connections tcp"`,
}

func TestIntegration(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Orders integration suite")
}

var _ = SynchronizedBeforeSuite(func() []byte {
	// Process 1 only.
	removeContainers()
	for name, script := range containers {
		run(engine, "run", "-d", "--name", name, image, "sh", "-c", script+"; exec sleep 600")
	}
	return nil
}, func([]byte) {})

var _ = SynchronizedAfterSuite(func() {}, func() {
	// Process 1 only, once every process is done: the suite removes its containers, and `must-gather
	// record` has kept their logs already.
	removeContainers()
})

var _ = Describe("orders", func() {
	It("lists the orders", func() {
		Expect(listOrders()).To(BeEmpty())
	})

	It("confirms an order", func() {
		// Fails on purpose, so that the recording is kept.
		Expect(placeOrder()).To(Equal("confirmed"))
	})
})

// What the code under test does.
func listOrders() []string { return nil }
func placeOrder() string   { return `rejected: relation "orders" does not exist` }

func removeContainers() {
	args := []string{"rm", "-f"}
	if engine == "podman" {
		args = append(args, "-t", "0")
	}
	for name := range containers {
		args = append(args, name)
	}
	// Not there: nothing to remove.
	_ = exec.Command(engine, args...).Run()
}

func run(name string, args ...string) {
	out, err := exec.Command(name, args...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
}

func envOr(key, fallback string) string {
	if value := os.Getenv(key); value != "" {
		return value
	}
	return fallback
}
