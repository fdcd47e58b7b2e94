package scenario

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// applyOverrides returns the content of a copy of src with the fields set in patch
// (CreateScenario's scenario beside copy_from_id) replacing the source's. A field is set
// when it is not its zero value: a non-empty string, a non-zero number, true, a
// non-empty list or a present message. A list replaces the source's whole list; a
// message is applied field by field in the same way (persona {voice: "rms"} changes the
// voice and keeps the name). Output-only fields of patch are ignored. A copy cannot clear
// a field (set it to "" or 0): update the copy for that. When patch replaces
// objection_details or hidden_fact_details but not their summaries, the summaries are
// derived again from the new details.
func applyOverrides(src, patch *scenariov1.Scenario) *scenariov1.Scenario {
	out := content(src)
	if patch == nil {
		return out
	}
	p := proto.CloneOf(patch)
	clearOutputOnly(p)
	if len(p.ObjectionDetails) > 0 && len(p.Objections) == 0 {
		out.Objections = nil
	}
	if len(p.HiddenFactDetails) > 0 && len(p.HiddenFacts) == 0 {
		out.HiddenFacts = nil
	}
	overlay(out.ProtoReflect(), p.ProtoReflect())
	return content(out)
}

// overlay copies every populated field of src into dst: lists and scalars replace,
// messages overlay recursively. Populated means non-zero for proto3 implicit-presence
// fields, which is what protoreflect's Range visits.
func overlay(dst, src protoreflect.Message) {
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() || fd.IsMap():
			dst.Set(fd, v)
		case fd.Message() != nil:
			if dst.Has(fd) {
				overlay(dst.Mutable(fd).Message(), v.Message())
			} else {
				dst.Set(fd, v)
			}
		default:
			dst.Set(fd, v)
		}
		return true
	})
}
