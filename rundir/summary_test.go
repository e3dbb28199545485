package rundir

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestStatusEffective(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip("no host name:", err)
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("cannot start a process:", err)
	}
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		st   Status
		want string
	}{
		{"this process", Status{State: StateRunning, PID: os.Getpid(), Host: host, Time: now.Add(-time.Hour)}, StateRunning},
		{"a process that exited", Status{State: StateRunning, PID: gone.Process.Pid, Host: host, Time: now}, StateDied},
		{"another host, recent heartbeat", Status{State: StateRunning, PID: 1, Host: "elsewhere", Time: now.Add(-time.Minute)}, StateRunning},
		{"another host, stale heartbeat", Status{State: StateRunning, PID: 1, Host: "elsewhere", Time: now.Add(-StaleAfter - time.Second)}, StateDied},
		{"no process named, stale", Status{State: StateRunning, Time: now.Add(-time.Hour)}, StateDied},
		{"interrupted", Status{State: StateInterrupted, Time: now.Add(-time.Hour)}, StateInterrupted},
		{"finished", Status{State: StateFinished, PID: gone.Process.Pid, Host: host}, StateFinished},
	} {
		if got := c.st.Effective(now); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestFindAndSummarize(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	file := func(s string, mod time.Time) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s), ModTime: mod} }
	fsys := fstest.MapFS{
		"a/config.yaml":                file("model: dcgan\ndataset: mnist\nloss: hinge\nsteps: 0\n", now),
		"a/metrics.jsonl":              file(`{"step":10,"eval_best_fid":12.5}`+"\n"+`{"step":20}`+"\n", now.Add(-time.Hour)),
		"a/status.json":                file(`{"state":"finished","step":20,"total_steps":20,"time":"2026-12-02T11:30:00Z"}`, now),
		"sweep/b/metrics.jsonl":        file(`{"step":5,"eval_best_swd":0.04}`+"\n", now.Add(-10*time.Second)),
		"sweep/c/config.yaml":          file("model: mlp\nsteps: 100\n", now),
		"sweep/c/metrics.jsonl":        file(`{"step":100}`+"\n", now.Add(-time.Hour)),
		"sweep/notes.txt":              file("x", now),
		".hidden/d/config.yaml":        file("model: mlp\n", now),
		"1/2/3/e/config.yaml":          file("model: mlp\n", now),
		"1/2/3/4/too-deep/status.json": file("{}", now),
		"bad/status.json":              file("{", now),
	}
	runs, err := Find(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"1/2/3/e", "a", "bad", "sweep/b", "sweep/c"}; !slices.Equal(runs, want) {
		t.Fatalf("Find: %v, want %v", runs, want)
	}
	if runs, _ := Find(fsys, "a"); !slices.Equal(runs, []string{"a"}) {
		t.Errorf("Find of a run: %v", runs)
	}
	a := Summarize(fsys, "a", now)
	if a.State != StateFinished || a.Model != "dcgan" || a.Loss != "hinge" || a.Step != 20 || a.TotalSteps != 20 || a.Best == nil || *a.Best != 12.5 || a.BestMetric != "fid" ||
		!a.Updated.Equal(time.Date(2026, 12, 2, 11, 30, 0, 0, time.UTC)) {
		t.Errorf("a: %+v", a)
	}
	if b := Summarize(fsys, "sweep/b", now); b.State != StateRunning || b.Best == nil || b.BestMetric != "swd" || b.Step != 5 {
		t.Errorf("sweep/b, without status.json, changed 10 s ago: %+v", b)
	}
	if c := Summarize(fsys, "sweep/c", now); c.State != StateFinished || c.TotalSteps != 100 {
		t.Errorf("sweep/c, without status.json, at its last step: %+v", c)
	}
	if e := Summarize(fsys, "1/2/3/e", now); e.State != StateStopped {
		t.Errorf("a run without metrics or status: %+v", e)
	}
	if bad := Summarize(fsys, "bad", now); bad.Problem == "" {
		t.Errorf("a broken status.json: no problem named: %+v", bad)
	}
}

func TestState(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	marker := func(state string, written time.Time) *Status {
		return &Status{State: state, Time: written}
	}
	tests := []struct {
		name    string
		st      *Status
		updated time.Time
		step    int
		steps   int
		want    string
	}{
		{"written just now", nil, now.Add(-time.Second), 100, 0, StateRunning},
		{"quiet for longer than a minute", nil, now.Add(-quietFor - time.Second), 100, 0, StateStopped},
		{"configured steps reached", nil, now.Add(-time.Second), 500, 500, StateFinished},
		{"configured steps reached long ago", nil, now.Add(-time.Hour), 500, 500, StateFinished},
		{"short of the configured steps", nil, now.Add(-time.Hour), 499, 500, StateStopped},
		{"no metrics yet", nil, time.Time{}, 0, 0, StateStopped},
		{"marker: finished by epochs", marker(StateFinished, now.Add(-time.Hour)), now.Add(-time.Hour), 46900, 0, StateFinished},
		{"marker: failed", marker(StateFailed, now.Add(-time.Hour)), now.Add(-time.Hour), 10, 0, StateFailed},
		{"marker: interrupted", marker(StateInterrupted, now.Add(-time.Hour)), now.Add(-time.Hour), 10, 0, StateInterrupted},
		{"marker without a process: metrics changing", marker(StateRunning, now.Add(-time.Hour)), now.Add(-time.Second), 10, 0, StateRunning},
		{"marker without a process: just started", marker(StateRunning, now.Add(-time.Second)), time.Time{}, 0, 0, StateRunning},
		{"marker without a process: killed long ago", marker(StateRunning, now.Add(-time.Hour)), now.Add(-time.Hour), 10, 0, StateDied},
		{"marker of another host, heartbeat stale", &Status{State: StateRunning, PID: 7, Host: "elsewhere", Time: now.Add(-time.Hour)}, now.Add(-time.Second), 10, 0, StateDied},
	}
	for _, tt := range tests {
		if got := State(tt.st, tt.updated, tt.step, tt.steps, now); got != tt.want {
			t.Errorf("%s: state %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestZombieIsDead: a process that exited but was not reaped still
// answers signal 0; it is not a living training process.
func TestZombieIsDead(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Skip("cannot start a process:", err)
	}
	defer cmd.Wait()
	for range 500 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid)); err == nil && strings.Contains(string(b), ") Z") {
			if processAlive(cmd.Process.Pid) {
				t.Error("a zombie counts as alive")
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Skip("the process did not become a zombie within 5 s")
}
