// A Ginkgo v2 suite that asks must-gather for its containers when specs failed, before removing them.
// `ginkgo -p` runs specs in several processes: each process whose specs failed calls must-gather in the
// first SynchronizedAfterSuite function; they pass the same --run-key (their parent, the ginkgo CLI), so
// the containers are gathered once, and process 1 removes them only after every process got there.
package integration_test

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const service = "orders"

var containers = []string{service + "_postgres_test", service + "_redis_test"}

func TestIntegration(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Orders integration suite")
}

// Set on the process that ran a failing spec.
var specsFailed bool

var _ = ReportAfterEach(func(report SpecReport) {
	if report.Failed() {
		specsFailed = true
	}
})

var _ = SynchronizedBeforeSuite(func() []byte {
	run("podman", "run", "-d", "--name", containers[0], "docker.io/library/postgres:16")
	run("podman", "run", "-d", "--name", containers[1], "docker.io/library/redis:7")
	return nil
}, func([]byte) {})

var _ = SynchronizedAfterSuite(func() {
	// Every process, before process 1's cleanup below.
	exitCode := "0"
	if specsFailed {
		exitCode = "1"
	}
	cmd := exec.Command("npx", "--no-install", "must-gather", service,
		"--if-failed", "--exit-code", exitCode,
		"--run-key", fmt.Sprintf("ginkgo-%d", os.Getppid()),
		"--archive")
	cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
	if err := cmd.Run(); err != nil {
		// Never fail the suite because of must-gather.
		GinkgoWriter.Printf("must-gather: %v\n", err)
	}
}, func() {
	// Process 1 only, once every process has finished the function above.
	run("podman", append([]string{"rm", "-f", "-t", "0"}, containers...)...)
})

func run(name string, args ...string) {
	out, err := exec.Command(name, args...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
}
