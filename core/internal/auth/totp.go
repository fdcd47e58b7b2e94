package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/validate"
)

const (
	totpPeriod        = 30
	recoveryCodeCount = 10
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

func (s *Service) loadUser(ctx context.Context, id string) (user, error) {
	u, err := scanUser(s.cfg.DB.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return u, ErrAccountNotFound
	}
	if err != nil {
		return u, fmt.Errorf("load user: %w", err)
	}
	return u, nil
}

// useTOTP accepts code when it matches a time step within ±1 of now that is later than
// the last accepted one, and records that step: each code works once.
func (s *Service) useTOTP(ctx context.Context, u user, code string) (bool, error) {
	if len(u.TOTPSecret) == 0 || len(code) != 6 {
		return false, nil
	}
	secret, err := s.cfg.Box.Open(u.TOTPSecret, []byte(u.ID))
	if err != nil {
		return false, fmt.Errorf("open TOTP secret: %w", err)
	}
	now := s.cfg.Now().Unix() / totpPeriod
	matched := int64(-1)
	for step := now - 1; step <= now+1; step++ {
		want, err := totp.GenerateCodeCustom(string(secret), time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			return false, fmt.Errorf("TOTP code: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			matched = step
		}
	}
	if matched < 0 || matched <= u.TOTPLastStep {
		return false, nil
	}
	tag, err := s.cfg.DB.Exec(ctx, "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2", u.ID, matched)
	if err != nil {
		return false, fmt.Errorf("record TOTP step: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func normalizeRecovery(code string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(code), "-", ""))
}

func (s *Service) useRecoveryCode(ctx context.Context, userID, code string) (bool, error) {
	tag, err := s.cfg.DB.Exec(ctx, "UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
		userID, sha(normalizeRecovery(code)))
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// TOTPEnrollment is a new, pending two-factor secret, in the forms an authenticator app
// takes.
type TOTPEnrollment struct {
	// Secret is the base32 secret, for typing in.
	Secret string
	// URL is the otpauth:// URL.
	URL string
	// QRPNG is URL as a 256×256 QR code in PNG.
	QRPNG []byte
}

// EnrollTOTP gives userID a new pending two-factor secret, stored sealed; it is not
// required at login until ConfirmTOTP. It answers ErrTOTPAlreadyEnabled while
// two-factor is on and ErrAccountNotFound for an unknown user.
func (s *Service) EnrollTOTP(ctx context.Context, userID string) (TOTPEnrollment, error) {
	u, err := s.loadUser(ctx, userID)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	if u.TOTPEnabled {
		return TOTPEnrollment{}, ErrTOTPAlreadyEnabled
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.cfg.TOTPIssuer, AccountName: u.Email, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("generate TOTP secret: %w", err)
	}
	sealed, err := s.cfg.Box.Seal([]byte(key.Secret()), []byte(u.ID))
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("seal TOTP secret: %w", err)
	}
	if _, err := s.cfg.DB.Exec(ctx, "UPDATE users SET totp_secret = $2, totp_enabled = false, updated_at = now() WHERE id = $1", u.ID, sealed); err != nil {
		return TOTPEnrollment{}, fmt.Errorf("store TOTP secret: %w", err)
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return TOTPEnrollment{}, fmt.Errorf("QR png: %w", err)
	}
	return TOTPEnrollment{Secret: key.Secret(), URL: key.URL(), QRPNG: buf.Bytes()}, nil
}

// ConfirmTOTP switches two-factor on for userID with the first valid code of its
// pending secret, and returns ten single-use recovery codes, stored hashed. It answers
// ErrNoTOTPEnrollment without a pending secret and a *validate.Error (field "code")
// for a wrong code.
func (s *Service) ConfirmTOTP(ctx context.Context, userID, code string) ([]string, error) {
	u, err := s.loadUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.TOTPEnabled || len(u.TOTPSecret) == 0 {
		return nil, ErrNoTOTPEnrollment
	}
	ok, err := s.useTOTP(ctx, u, code)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, validate.Invalid(ErrInvalid, "code", "is not the current code")
	}
	codes := make([]string, recoveryCodeCount)
	err = store.InTx(ctx, s.cfg.DB, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM recovery_codes WHERE user_id = $1", u.ID); err != nil {
			return fmt.Errorf("clear recovery codes: %w", err)
		}
		for i := range codes {
			b := make([]byte, 10)
			_, _ = rand.Read(b)
			c := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
			codes[i] = c[:8] + "-" + c[8:16]
			if _, err := tx.Exec(ctx, "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)", u.ID, sha(normalizeRecovery(codes[i]))); err != nil {
				return fmt.Errorf("store recovery code: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET totp_enabled = true, updated_at = now() WHERE id = $1", u.ID); err != nil {
			return fmt.Errorf("enable two-factor: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTOTP switches two-factor off for userID, given a current code or a recovery
// code. It answers ErrTOTPNotEnabled while two-factor is off and a *validate.Error
// (field "code") for a wrong code.
func (s *Service) DisableTOTP(ctx context.Context, userID, code string) error {
	u, err := s.loadUser(ctx, userID)
	if err != nil {
		return err
	}
	if !u.TOTPEnabled {
		return ErrTOTPNotEnabled
	}
	ok, err := s.useTOTP(ctx, u, code)
	if err == nil && !ok {
		ok, err = s.useRecoveryCode(ctx, u.ID, code)
	}
	if err != nil {
		return err
	}
	if !ok {
		return validate.Invalid(ErrInvalid, "code", "is not a valid code")
	}
	return store.InTx(ctx, s.cfg.DB, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM recovery_codes WHERE user_id = $1", u.ID); err != nil {
			return fmt.Errorf("clear recovery codes: %w", err)
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET totp_enabled = false, totp_secret = NULL, updated_at = now() WHERE id = $1", u.ID); err != nil {
			return fmt.Errorf("disable two-factor: %w", err)
		}
		return nil
	})
}
