package tlog_test

import (
	"fmt"
	"os/exec"
	"testing"
	"time"
)

// BenchmarkAppend8Writers is 8 writer processes appending 50 records each
// at once, on each driver: appends per second, each append returned only
// once a signed checkpoint covers it.
func BenchmarkAppend8Writers(b *testing.B) {
	for _, d := range drivers() {
		b.Run(d.name, func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				spec, skey, _ := newLog(b, d.spec(b))
				b.StartTimer()
				start := time.Now()
				var cmds []*exec.Cmd
				for w := 0; w < 8; w++ {
					cmd := appender(spec, skey, fmt.Sprintf("w%d", w), 50)
					if err := cmd.Start(); err != nil {
						b.Fatal(err)
					}
					cmds = append(cmds, cmd)
				}
				for _, cmd := range cmds {
					if err := cmd.Wait(); err != nil {
						b.Fatal(err)
					}
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(400*b.N)/total.Seconds(), "appends/s")
		})
	}
}
