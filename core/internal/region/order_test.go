package region_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/avatar-fi/avatar/core/internal/region"
)

func TestOrderSearch(t *testing.T) {
	o, err := region.NewOrder(
		region.Route{Region: "US-East", Next: []string{"us-west", " EU-central "}},
		region.Route{Region: "us-west", Next: []string{"us-east"}},
		region.Route{Region: "eu-central"},
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, region string
		want         []string
	}{
		{name: "listed", region: "us-east", want: []string{"us-east", "us-west", "eu-central"}},
		{name: "case and spaces", region: " US-WEST", want: []string{"us-west", "us-east"}},
		{name: "route without next", region: "eu-central", want: []string{"eu-central"}},
		{name: "unlisted", region: "ap-south", want: []string{"ap-south"}},
		{name: "none is home", region: "", want: []string{"us-east", "us-west", "eu-central"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := o.Search(tt.region); !slices.Equal(got, tt.want) {
				t.Fatalf("Search(%q) = %v, want %v", tt.region, got, tt.want)
			}
		})
	}
	if o.Home() != "us-east" {
		t.Fatalf("home %q, want us-east", o.Home())
	}
	var zero region.Order
	if got := zero.Search(""); got != nil {
		t.Fatalf("zero order Search(\"\") = %v, want nil", got)
	}
	if got := zero.Search("x"); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("zero order Search(x) = %v", got)
	}
}

func TestNewOrderRejects(t *testing.T) {
	tests := []struct {
		name   string
		routes []region.Route
	}{
		{name: "empty region", routes: []region.Route{{Region: ""}}},
		{name: "bad region", routes: []region.Route{{Region: "a.b"}}},
		{name: "bad next", routes: []region.Route{{Region: "a", Next: []string{"b c"}}}},
		{name: "own region", routes: []region.Route{{Region: "a", Next: []string{"A"}}}},
		{name: "twice", routes: []region.Route{{Region: "a", Next: []string{"b", "b"}}}},
		{name: "two routes", routes: []region.Route{{Region: "a"}, {Region: "b"}, {Region: "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := region.NewOrder(tt.routes...); !errors.Is(err, region.ErrInvalidConfig) {
				t.Fatalf("NewOrder: %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestValidRegion(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{name: "plain", in: "us-east", want: true},
		{name: "underscore and digits", in: "eu_central_1", want: true},
		{name: "empty", in: "", want: false},
		{name: "upper case", in: "US", want: false},
		{name: "dot", in: "a.b", want: false},
		{name: "wildcard", in: "*", want: false},
		{name: "space", in: "a b", want: false},
		{name: "longest", in: "a" + string(slices.Repeat([]byte("b"), region.MaxRegionLen-1)), want: true},
		{name: "too long", in: string(slices.Repeat([]byte("b"), region.MaxRegionLen+1)), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := region.ValidRegion(tt.in); got != tt.want {
				t.Fatalf("ValidRegion(%q) = %v", tt.in, got)
			}
		})
	}
}
