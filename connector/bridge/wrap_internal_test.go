package bridge

import "testing"

// TestMayName checks the test that spares most bodies a second parse: a
// body is decoded only when it may name a disabled attribute.
func TestMayName(t *testing.T) {
	names := [][]byte{[]byte("title"), []byte("middlename")}
	for _, tc := range []struct {
		body string
		want bool
	}{
		{`{"userName":"a@x.io","name":{"givenName":"A"}}`, false},
		{`{"userName":"a@x.io","Title":"CEO"}`, true},
		{`{"name":{"MIDDLENAME":"B"}}`, true},
		{`{"urn:ietf:params:scim:schemas:core:2.0:User:title":"CEO"}`, true},
		{`{"\u0074itle":"CEO"}`, true},       // an escape may spell a name
		{`{"displayName":"Entitled"}`, true}, // a value may hold one: decoded, nothing stripped
	} {
		if got := mayName([]byte(tc.body), names); got != tc.want {
			t.Errorf("mayName(%s) = %v, want %v", tc.body, got, tc.want)
		}
	}
}
