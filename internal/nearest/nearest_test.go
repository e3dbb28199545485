package nearest

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"epoch", "epochs", 1}, {"z_dims", "z_dim", 1}, {"flaw", "lawn", 2}, {"modle", "model", 1}, {"ab", "ba", 1}} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Distance(c.b, c.a); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.b, c.a, got, c.want)
		}
	}
}

func TestName(t *testing.T) {
	known := []string{"epochs", "steps", "loss", "lr", "lr_d", "z_dim", "model"}
	for _, c := range []struct {
		name, want string
		ok         bool
	}{{"epoch", "epochs", true}, {"modle", "model", true}, {"los", "loss", true}, {"z_dims", "z_dim", true}, {"learning_rate", "", false}, {"lr", "", false}, {"xyz", "", false}} {
		got, ok := Name(c.name, known)
		if got != c.want || ok != c.ok {
			t.Errorf("Name(%q) = %q, %v; want %q, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}
