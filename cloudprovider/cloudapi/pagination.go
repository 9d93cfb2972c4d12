package cloudapi

import (
	"context"
	"fmt"
)

// MaxPages caps every pagination loop. At 100 items per page it allows
// 100,000 items, far above any CCM quota; hitting it means the API keeps
// returning a next page (e.g. a token that never ends) and is reported as an
// error instead of looping forever.
const MaxPages = 1000

// Per-call ID limits, as each action's API reference page documents them.
const (
	// MaxLoadBalancerIDsPerCall is DescribeLoadBalancers' LoadBalancerId limit.
	MaxLoadBalancerIDsPerCall = 10
	// MaxInstanceIDsPerCall is DescribeInstances' InstanceIds limit.
	MaxInstanceIDsPerCall = 100
	// MaxNetworkInterfaceIDsPerCall is DescribeNetworkInterfaces' NetworkInterfaceId.N limit.
	MaxNetworkInterfaceIDsPerCall = 100
)

// Page sizes the listers request.
const (
	slbPageSize        = 100 // DescribeLoadBalancers PageSize 1-100
	ecsMaxResults      = 100 // DescribeInstances MaxResults 1-100
	eniMaxResults      = 500 // DescribeNetworkInterfaces MaxResults 10-500
	routeMaxResult     = 100 // DescribeRouteEntryList MaxResult documented 1-100
	listenerMaxResults = 100 // DescribeLoadBalancerListeners MaxResults 1-100
)

// ForEachPage drives NextToken-style paging: fn receives the token of the
// page to fetch ("" for the first) and returns the next token, "" after the
// last page. It stops on error, on ctx cancellation, after MaxPages pages, or
// if the API repeats a token (which would otherwise loop forever).
func ForEachPage(ctx context.Context, fn func(token string) (next string, err error)) error {
	token := ""
	seen := map[string]bool{}
	for page := 1; page <= MaxPages; page++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("paging stopped before page %d: %w", page, err)
		}
		next, err := fn(token)
		if err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		if next == "" {
			return nil
		}
		if seen[next] {
			return fmt.Errorf("page %d: API returned NextToken %q again", page, next)
		}
		seen[next] = true
		token = next
	}
	return fmt.Errorf("paging exceeded %d pages", MaxPages)
}

// ForEachPageNumber drives PageNumber/PageSize/TotalCount paging: fn fetches
// page (1-based) of pageSize items and returns how many items it got and the
// API's TotalCount. It stops after a short or empty page, once
// page*pageSize >= total, on error, on ctx cancellation, or after MaxPages.
func ForEachPageNumber(ctx context.Context, pageSize int, fn func(page int) (got, total int, err error)) error {
	if pageSize <= 0 {
		return fmt.Errorf("page size %d must be positive", pageSize)
	}
	for page := 1; page <= MaxPages; page++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("paging stopped before page %d: %w", page, err)
		}
		got, total, err := fn(page)
		if err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		// A short page ends the listing even if TotalCount says otherwise:
		// TotalCount can shift while resources are created or deleted.
		if got < pageSize || page*pageSize >= total {
			return nil
		}
	}
	return fmt.Errorf("paging exceeded %d pages", MaxPages)
}

// Chunk splits items into consecutive batches of at most size items.
func Chunk[T any](items []T, size int) [][]T {
	if size <= 0 {
		size = len(items)
	}
	var out [][]T
	for len(items) > 0 {
		n := min(size, len(items))
		out = append(out, items[:n:n])
		items = items[n:]
	}
	return out
}

// dedupe returns items without empty strings and repeats, order preserved.
func dedupe(items []string) []string {
	seen := make(map[string]bool, len(items))
	out := make([]string, 0, len(items))
	for _, s := range items {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}
