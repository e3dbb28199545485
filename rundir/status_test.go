package rundir

import (
	"path/filepath"
	"testing"
	"time"
)

func TestStatusRoundTripAndForce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r, err := Create(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ReadStatus(dir); ok || err != nil {
		t.Fatalf("a new run has a status: %v %v", ok, err)
	}
	want := Status{State: StateFailed, Step: 7, TotalSteps: 10, Error: "step 8: non-finite loss", Time: time.Unix(1795300000, 0).UTC()}
	if err := r.WriteStatus(want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := ReadStatus(dir)
	if err != nil || !ok || got != want {
		t.Fatalf("ReadStatus = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	if _, err := Create(dir, true); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := ReadStatus(dir); ok {
		t.Fatal("--force left status.json behind")
	}
}
