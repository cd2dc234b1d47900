package controls

import (
	"errors"
	"fmt"
	"slices"

	"chessplatform/infra/infratest"
)

// Tags on every taggable resource (the types without a tags argument: untaggable, types.go).

// Tags lists the tagging control.
func Tags() []Control {
	return named(resourcesTagged)
}

var resourcesTagged = Control{
	Name: "resourcesTagged",
	ID:   "TAG.1 every taggable resource carries Project, Stack, Component and Name tags",
	Check: func(rec infratest.Recorded) error {
		var errs []error
		for _, r := range rec.Resources() {
			if !r.Custom || slices.Contains(untaggable, r.Type) {
				continue
			}
			tags := r.Tags()
			for _, k := range []string{"Project", "Stack", "Component", "Name"} {
				if tags[k] == "" {
					errs = append(errs, fmt.Errorf("%s: tag %s missing", label(r), k))
				}
			}
		}
		return errors.Join(errs...)
	},
	Props: []Prop{{TKMSKey, "tags", map[string]any{"Name": "key"}}},
}
