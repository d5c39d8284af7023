package tools

import "testing"

// Every action's example must pass its own validation: the example is what
// describe_action shows, and what the sandbox tests start from.
func TestExamplesAreValid(t *testing.T) {
	reg := loadRegistry(t)
	for _, a := range reg.Actions() {
		t.Run(a.Name, func(t *testing.T) {
			args, err := Normalize(a.Example(nil))
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Validate(args); err != nil {
				t.Errorf("example %v: %v", args, err)
			}
		})
	}
}
