package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Subscription states.
const (
	SubPending = "pending" // asked the hub; waiting for its verification
	SubActive  = "active"  // verified: the hub pushes until LeaseEnd
	SubFailed  = "failed"  // the hub refused or did not answer; Error says why
	SubDenied  = "denied"  // the hub denied it (hub.mode=denied)
	// SubUnsubscribing: the source was disabled, and the hub was asked to
	// stop (hub.mode=unsubscribe); the subscription is deleted once the hub
	// verifies that, or when RenewAt passes without it.
	SubUnsubscribing = "unsubscribing"
)

// Subscription is a source's WebSub subscription to its feed's hub.
type Subscription struct {
	Source string
	// Token names the callback URL (BASE_URL/websub/callback/TOKEN);
	// Secret signs what the hub pushes.
	Token, Secret string
	Hub, Topic    string
	State         string
	Error         string
	Failures      int
	Requested     time.Time
	LeaseEnd      time.Time
	RenewAt       time.Time // when to subscribe again: renewal, retry or a verification that never came
	LastPush      time.Time
	// Disabled is the source's state (read, never saved here): a source
	// disabled after a 410 takes no pushes and keeps no subscription.
	Disabled bool
}

// String is the state as `topicfeed sources` shows it; the secret never.
func (s Subscription) String() string {
	out := s.State + " at " + s.Hub
	switch s.State {
	case SubActive:
		out += ", lease until " + s.LeaseEnd.UTC().Format(time.RFC3339)
	case SubFailed, SubDenied:
		if s.Error != "" {
			out += ": " + s.Error
		}
	}
	if !s.LastPush.IsZero() {
		out += ", last push " + s.LastPush.UTC().Format(time.RFC3339)
	}
	return out
}

// SaveSubscription stores source's subscription, replacing any it had.
func (d *DB) SaveSubscription(ctx context.Context, s Subscription) error {
	return d.transact(ctx, func(tx *sql.Tx) error {
		src, err := ensureSource(ctx, tx, s.Source, d.Now().Unix())
		if err != nil {
			return err
		}
		// Replaces the source's row; a token is new with each subscription.
		if _, err := tx.ExecContext(ctx, `DELETE FROM websub WHERE source_id = ?`, src); err != nil {
			return fmt.Errorf("save subscription of %s: %w", s.Source, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO websub
			(source_id, token, hub, topic, secret, state, error, failures, requested, lease_end, renew_at, last_push)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			src, s.Token, s.Hub, s.Topic, s.Secret, s.State, s.Error, s.Failures,
			unix(s.Requested), unix(s.LeaseEnd), unix(s.RenewAt), unix(s.LastPush))
		if err != nil {
			return fmt.Errorf("save subscription of %s: %w", s.Source, err)
		}
		return nil
	})
}

// Subscription returns source's subscription, or ErrNotFound.
func (d *DB) Subscription(ctx context.Context, source string) (*Subscription, error) {
	return d.subscription(ctx, `s.name = ?`, source)
}

// SubscriptionByToken returns the subscription a callback URL names, or
// ErrNotFound.
func (d *DB) SubscriptionByToken(ctx context.Context, token string) (*Subscription, error) {
	return d.subscription(ctx, `w.token = ?`, token)
}

// SubscriptionsDue lists the subscriptions to send again by t: leases
// ending, failures to retry, verifications that never came.
func (d *DB) SubscriptionsDue(ctx context.Context, t time.Time) ([]Subscription, error) {
	return d.subscriptions(ctx, `w.renew_at <= ?`, t.Unix())
}

func (d *DB) subscription(ctx context.Context, where string, args ...any) (*Subscription, error) {
	subs, err := d.subscriptions(ctx, where, args...)
	if err != nil {
		return nil, err
	}
	if len(subs) == 0 {
		return nil, ErrNotFound
	}
	return &subs[0], nil
}

func (d *DB) subscriptions(ctx context.Context, where string, args ...any) ([]Subscription, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT s.name, w.token, w.secret, w.hub, w.topic, w.state, w.error,
		w.failures, w.requested, w.lease_end, w.renew_at, w.last_push, s.disabled
		FROM websub w JOIN sources s ON s.id = w.source_id WHERE `+where+` ORDER BY s.name`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Subscription
	for rows.Next() {
		var s Subscription
		var req, lease, renew, push int64
		if err := rows.Scan(&s.Source, &s.Token, &s.Secret, &s.Hub, &s.Topic, &s.State, &s.Error,
			&s.Failures, &req, &lease, &renew, &push, &s.Disabled); err != nil {
			return nil, err
		}
		s.Requested, s.LeaseEnd, s.RenewAt, s.LastPush = fromUnix(req), fromUnix(lease), fromUnix(renew), fromUnix(push)
		out = append(out, s)
	}
	return out, rows.Err()
}

// PushReceived records that the hub pushed to source's subscription.
func (d *DB) PushReceived(ctx context.Context, token string, at time.Time) error {
	_, err := d.db.ExecContext(ctx, `UPDATE websub SET last_push = ? WHERE token = ?`, at.Unix(), token)
	return err
}

// DeleteSubscription forgets the subscription whose callback token is
// token; there being none is no error.
func (d *DB) DeleteSubscription(ctx context.Context, token string) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM websub WHERE token = ?`, token)
	return err
}
