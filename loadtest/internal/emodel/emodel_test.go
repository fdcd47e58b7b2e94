package emodel

import (
	"math"
	"testing"
)

func TestR(t *testing.T) {
	tests := []struct {
		name        string
		delay, loss float64
		want        float64
	}{
		{"defaults", 0, 0, 93.2},
		{"100 ms, no loss", 100, 0, 93.2 - 2.4},
		// Above 177.3 ms the second term of Id starts: 0.024·277.3 + 0.11·100.
		{"277.3 ms", 277.3, 0, 93.2 - 0.024*277.3 - 11},
		// Ie,eff = 95·1/(1+25.1) = 3.6398…
		{"1% loss", 0, 1, 93.2 - 95.0/26.1},
		{"negative inputs clamp", -5, -1, 93.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := R(tt.delay, tt.loss, OpusAsG711PLC); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("R = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMOS(t *testing.T) {
	tests := []struct {
		r, want float64
	}{
		{-3, 1},
		{0, 1},
		{100, 4.5},
		{120, 4.5},
		{93.2, 4.4093}, // G.107's default R: MOS 4.41
		{50, 2.575},    // 1 + 1.75 − 50·10·50·7e-6
		{80, 4.024},    // 1 + 2.8 + 80·20·20·7e-6
	}
	for _, tt := range tests {
		if got := MOS(tt.r); math.Abs(got-tt.want) > 1e-4 {
			t.Errorf("MOS(%v) = %.5f, want %.4f", tt.r, got, tt.want)
		}
	}
}

func TestEstimateOrdersRegions(t *testing.T) {
	near := Estimate(40, 2, 0.1)
	mid := Estimate(120, 8, 0.5)
	far := Estimate(220, 15, 1)
	if near <= mid || mid <= far {
		t.Errorf("MOS does not fall with distance and loss: %.2f, %.2f, %.2f", near, mid, far)
	}
	if near < 4.2 || near > 4.45 {
		t.Errorf("a near, clean path scores %.2f, want about 4.3–4.4", near)
	}
	if bad := Estimate(800, 50, 20); bad > 2.0 {
		t.Errorf("800 ms and 20%% loss scores %.2f, want below 2", bad)
	}
}
