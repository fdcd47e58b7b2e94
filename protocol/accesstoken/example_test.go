package accesstoken_test

import (
	"context"
	"fmt"

	"github.com/avatar-fi/avatar/protocol/accesstoken"
)

// Example signs a token as the core does and verifies it as an edge does.
func Example() {
	kid, key, _ := accesstoken.GenerateKey()
	signer, _ := accesstoken.NewSigner(kid, key, "https://core.example")
	c := accesstoken.Claims{Role: "ROLE_TRAINEE", DealershipID: "d-1"}
	c.Subject = "u-1"
	tok, _ := signer.Sign(c)

	verifier, _ := accesstoken.NewVerifier(accesstoken.NewStaticKeySet(signer.PublicKey()), "https://core.example")
	got, err := verifier.Verify(context.Background(), tok)
	fmt.Println(got.Subject, got.RoleValue(), err)
	// Output: u-1 ROLE_TRAINEE <nil>
}
