package scenario_test

import (
	"fmt"
	"os"

	"github.com/avatar-fi/avatar/core/internal/scenario"
)

// ExampleLoadBuiltIns reads a directory of built-in scenario files, as New does with the
// embedded builtin/ directory, and shows the stable id each slug gets.
func ExampleLoadBuiltIns() {
	bs, err := scenario.LoadBuiltIns(os.DirFS("testdata/builtin"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range bs {
		fmt.Println(b.Slug, scenario.BuiltInID(b.Slug))
		fmt.Println(b.Scenario.GetTitle())
		fmt.Println(b.Scenario.GetObjections())
	}
	// Output:
	// payment-sensitive-first-buyer 9cf7e784-9de2-5959-83e4-4dd4448d104b
	// Payment-sensitive first-time buyer
	// [That makes my payment higher than I planned. Doesn't my insurance already cover that?]
}

// ExampleValidate shows the field paths of a scenario's violations.
func ExampleValidate() {
	bs, err := scenario.LoadBuiltIns(os.DirFS("testdata/builtin"))
	if err != nil {
		fmt.Println(err)
		return
	}
	sc := bs[0].Scenario
	sc.ObjectionDetails[1].ProductId = "tire-wheel"
	sc.Persona.Voice = "alloy"
	fmt.Println(scenario.Validate(sc))
	// Output:
	// scenario: invalid scenario: scenario.persona.voice: must be "slt", "rms", "awb" or "kal", or empty for the edge's default voice; scenario.objectionDetails[1].productId: must be the id of a product in scenario.deal.products
}
