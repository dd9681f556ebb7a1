// A Ginkgo suite that asks must-gather for its containers when specs failed, before removing them.
//
// Written for Ginkgo v1 (1.16, the version Debian packages as golang-github-onsi-ginkgo-dev) so that this
// repository's test suite can run it without a network:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go test ./examples/go-ginkgo/
//
// With Ginkgo v2, change:
//   - the import: . "github.com/onsi/ginkgo/v2" (gomega stays github.com/onsi/gomega);
//   - in the AfterEach, CurrentGinkgoTestDescription().Failed becomes CurrentSpecReport().Failed() — or
//     drop the AfterEach for ReportAfterEach(func(report SpecReport) { if report.Failed() { ... } });
//   - config.GinkgoConfig.ParallelNode, if you use it, becomes GinkgoParallelProcess().
//
// SynchronizedBeforeSuite and SynchronizedAfterSuite keep their shape in v2. Keep gathering in the first
// SynchronizedAfterSuite function: v2's ReportAfterSuite runs only after SynchronizedAfterSuite, so after
// the cleanup has removed the containers.
//
// `ginkgo -p` runs specs in several processes: each process whose specs failed calls must-gather in the
// first SynchronizedAfterSuite function; they pass the same --run-key (their parent: the ginkgo CLI, or
// `go test`), so the containers are gathered once, and process 1 removes them only after every process
// got there.
//
// No Ginkgo at all? Wrap the test command instead: `go test ./...; must-gather <service> --if-failed
// --exit-code $?` before the cleanup, as ../Makefile does.
//
// The containers stand in for your own (testcontainers, compose, a script), as ../containers.js does for
// the JavaScript examples: EXAMPLE_SERVICE (default orders), EXAMPLE_ENGINE (podman or docker),
// EXAMPLE_IMAGE. MUST_GATHER is the command to run (default: npx --no-install must-gather, the package
// installed in your project).
package integration_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo"
	. "github.com/onsi/gomega"
)

var (
	service    = envOr("EXAMPLE_SERVICE", "orders")
	engine     = envOr("EXAMPLE_ENGINE", "podman")
	image      = envOr("EXAMPLE_IMAGE", "localhost/must-gather-busybox:latest")
	mustGather = strings.Fields(envOr("MUST_GATHER", "npx --no-install must-gather"))
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

var (
	// Set on this process when one of its specs failed.
	specsFailed bool
	// Set on every process once the containers are up: a failed setup is a failure to gather for too.
	setUp bool
)

var _ = AfterEach(func() {
	if CurrentGinkgoTestDescription().Failed {
		specsFailed = true
	}
})

var _ = SynchronizedBeforeSuite(func() []byte {
	// Process 1 only.
	removeContainers()
	for name, script := range containers {
		run(engine, "run", "-d", "--name", name, image, "sh", "-c", script+"; exec sleep 600")
	}
	return nil
}, func([]byte) {
	// Every process, once process 1 has started the containers.
	setUp = true
})

var _ = SynchronizedAfterSuite(func() {
	// Every process, before process 1's cleanup below.
	exitCode := "0"
	if specsFailed || !setUp {
		exitCode = "1"
	}
	args := append(append([]string{}, mustGather[1:]...), service,
		"--if-failed", "--exit-code", exitCode,
		"--run-key", fmt.Sprintf("ginkgo-%d", os.Getppid()),
		"--archive")
	cmd := exec.Command(mustGather[0], args...)
	// Its report (what failed, and where the run folder is) belongs in the test output, failing or not.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		// Never fail the suite because of must-gather.
		fmt.Fprintf(os.Stderr, "must-gather: %v\n", err)
	}
}, func() {
	// Process 1 only, once every process has finished the function above.
	removeContainers()
})

var _ = Describe("orders", func() {
	It("lists the orders", func() {
		Expect(listOrders()).To(BeEmpty())
	})

	It("confirms an order", func() {
		// Fails on purpose, so that there is something to gather.
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
