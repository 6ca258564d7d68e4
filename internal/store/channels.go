package store

import (
	"context"
	"fmt"
	"time"
)

// Channel is a reporting channel a whistleblower picks on the public site.
// Name and Description are JSON objects of language → text, set by the
// organisation; they are configuration, not report content.
type Channel struct {
	TenantID             string
	ID                   string
	Name                 string
	Description          string
	QuestionnaireID      string
	QuestionnaireVersion int
	Position             int
	CreatedAt            time.Time
	// Statutory deadlines for this channel: acknowledgement after AckDays
	// days, feedback FeedbackMonths months after acknowledgement.
	AckDays        int
	FeedbackMonths int
}

// Recipient is a staff user a new report's key is wrapped to.
type Recipient struct {
	UserID    string
	PublicKey string
	// DisplayName and OfferExclusion decide whether the public form lists
	// this handler as one the whistleblower may exclude (conflict of interest).
	DisplayName    string
	OfferExclusion bool
}

// InsertQuestionnaire stores one version of a questionnaire (JSON body).
func (tx *Tx) InsertQuestionnaire(ctx context.Context, tenantID, id string, version int, body string, now time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO questionnaires (tenant_id, questionnaire_id, version, body, created_at)
		VALUES ($1, $2, $3, $4, $5)`, tenantID, id, version, body, ms(now))
	if err != nil {
		return fmt.Errorf("store: insert questionnaire: %w", err)
	}
	return nil
}

// Questionnaire returns the JSON body of one questionnaire version.
func (db *DB) Questionnaire(ctx context.Context, tenantID, id string, version int) (string, error) {
	var body string
	err := db.read.QueryRowContext(ctx, `SELECT body FROM questionnaires
		WHERE tenant_id = $1 AND questionnaire_id = $2 AND version = $3`, tenantID, id, version).Scan(&body)
	if err != nil {
		return "", fmt.Errorf("store: questionnaire: %w", notFound(err))
	}
	return body, nil
}

// InsertChannel creates a channel.
func (tx *Tx) InsertChannel(ctx context.Context, c Channel) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO channels (tenant_id, channel_id, name, description,
		questionnaire_id, questionnaire_version, position, created_at, ack_days, feedback_months)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.TenantID, c.ID, c.Name, c.Description, c.QuestionnaireID, c.QuestionnaireVersion, c.Position, ms(c.CreatedAt),
		c.AckDays, c.FeedbackMonths)
	if err != nil {
		return fmt.Errorf("store: insert channel: %w", err)
	}
	return nil
}

const channelColumns = `tenant_id, channel_id, name, description, questionnaire_id, questionnaire_version, position, created_at,
	ack_days, feedback_months`

func scanChannel(row interface{ Scan(...any) error }) (Channel, error) {
	var c Channel
	var created int64
	err := row.Scan(&c.TenantID, &c.ID, &c.Name, &c.Description, &c.QuestionnaireID, &c.QuestionnaireVersion, &c.Position, &created,
		&c.AckDays, &c.FeedbackMonths)
	c.CreatedAt = fromMS(created)
	return c, err
}

// Channels lists a tenant's channels in display order.
func (db *DB) Channels(ctx context.Context, tenantID string) ([]Channel, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+channelColumns+` FROM channels
		WHERE tenant_id = $1 ORDER BY position, created_at, channel_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: channels: %w", err)
	}
	defer rows.Close()
	var out []Channel
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan channel: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Channel loads one channel.
func (db *DB) Channel(ctx context.Context, tenantID, channelID string) (Channel, error) {
	c, err := scanChannel(db.read.QueryRowContext(ctx, `SELECT `+channelColumns+` FROM channels
		WHERE tenant_id = $1 AND channel_id = $2`, tenantID, channelID))
	if err != nil {
		return Channel{}, fmt.Errorf("store: channel: %w", notFound(err))
	}
	return c, nil
}

// AddChannelHandler makes a user a handler of a channel; repeating it is harmless.
func (tx *Tx) AddChannelHandler(ctx context.Context, tenantID, channelID, userID string) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO channel_handlers (tenant_id, channel_id, user_id)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, tenantID, channelID, userID)
	if err != nil {
		return fmt.Errorf("store: add channel handler: %w", err)
	}
	return nil
}

// ChannelRecipients lists the enabled handlers of a channel with their public keys.
func (db *DB) ChannelRecipients(ctx context.Context, tenantID, channelID string) ([]Recipient, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT u.user_id, u.public_key, u.display_name, h.offer_exclusion FROM channel_handlers h
		JOIN users u ON u.tenant_id = h.tenant_id AND u.user_id = h.user_id
		WHERE h.tenant_id = $1 AND h.channel_id = $2 AND u.disabled_at IS NULL
		ORDER BY u.user_id`, tenantID, channelID)
	if err != nil {
		return nil, fmt.Errorf("store: channel recipients: %w", err)
	}
	defer rows.Close()
	var out []Recipient
	for rows.Next() {
		var r Recipient
		var offer int64
		if err := rows.Scan(&r.UserID, &r.PublicKey, &r.DisplayName, &offer); err != nil {
			return nil, fmt.Errorf("store: scan recipient: %w", err)
		}
		r.OfferExclusion = offer == 1 && r.DisplayName != ""
		out = append(out, r)
	}
	return out, rows.Err()
}
