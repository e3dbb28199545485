package main

import (
	"reflect"
	"testing"

	"github.com/nash-gan/nash/train"
)

// Every setting of a run is a flag of nash train, and every such flag
// says in --help what it does.
func TestEveryConfigFlagHasUsage(t *testing.T) {
	ty := reflect.TypeOf(train.Config{})
	for i := 0; i < ty.NumField(); i++ {
		if key := train.YAMLKey(ty.Field(i)); configUsage[key] == "" {
			t.Errorf("--%s has no usage: add %q to configUsage", flagName(key), key)
		}
	}
}
