// Package floors holds the test that keeps the module's imports to the floor
// diagram of docs/ARCHITECTURE.md: a package imports only packages on lower
// floors, never one on its own floor or above, apart from the internal
// packages, which any package may import. The test reads the diagram from the
// document itself, so the two cannot drift apart; the package has no other
// code.
package floors
