package region_test

import (
	"fmt"

	"github.com/avatar-fi/avatar/core/internal/region"
)

// ExampleOrder_Search shows the regions PickEdge tries, nearest first, for the order
// AVATAR_REGION_ORDER="us-east:us-west,eu-central;us-west:us-east;eu-central:us-east".
// Regions a list leaves out come after it, the edge with the most headroom first.
func ExampleOrder_Search() {
	o, err := region.NewOrder(
		region.Route{Region: "us-east", Next: []string{"us-west", "eu-central"}},
		region.Route{Region: "us-west", Next: []string{"us-east"}},
		region.Route{Region: "eu-central", Next: []string{"us-east"}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, caller := range []string{"us-east", "us-west", "ap-south", ""} {
		fmt.Printf("%q: %v\n", caller, o.Search(caller))
	}
	// Output:
	// "us-east": [us-east us-west eu-central]
	// "us-west": [us-west us-east]
	// "ap-south": [ap-south]
	// "": [us-east us-west eu-central]
}
