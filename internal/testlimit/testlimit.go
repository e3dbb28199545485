// Package testlimit reads the environment variables that bound how much
// work one nash command does, so that tests can run README's commands as
// written in little time: NASH_MAX_STEPS (the steps one nash train trains)
// and NASH_MAX_SAMPLES (the samples of nash sample and of nash eval --run,
// ten times as many training images searched by eval's memorisation test,
// and the Stacked MNIST images nash train draws and scores). They are for
// tests; users have --steps and --n.
package testlimit

import (
	"fmt"
	"os"
	"strconv"
)

// The variables.
const (
	Steps   = "NASH_MAX_STEPS"
	Samples = "NASH_MAX_SAMPLES"
)

// Get returns the bound the variable name sets, ok false when it is not
// set, and an error naming it when it is not an integer of at least
// least.
func Get(name string, least int) (limit int, ok bool, err error) {
	v, set := os.LookupEnv(name)
	if !set {
		return 0, false, nil
	}
	limit, err = strconv.Atoi(v)
	if err != nil || limit < least {
		return 0, false, fmt.Errorf("%s=%q: want an integer of at least %d", name, v, least)
	}
	return limit, true, nil
}
