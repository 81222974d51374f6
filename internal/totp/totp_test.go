package totp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The SHA-1 vectors of RFC 6238 appendix B, truncated to 6 digits.
func TestRFC6238Vectors(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	} {
		assert.Equal(t, tc.want, CodeAt(key, Step(time.Unix(tc.unix, 0))), "t=%d", tc.unix)
	}
}

func TestCodeBase32(t *testing.T) {
	// "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" is base32 of the RFC key.
	c, err := Code("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", time.Unix(59, 0))
	require.NoError(t, err)
	assert.Equal(t, "287082", c)
	_, err = Code("!!!", time.Now())
	assert.Error(t, err)
}
