package graph

// wrap returns a function that turns a domain result into a mutation
// payload, passing errors on: wrap(toPayload)(domain.Call(ctx, input)).
func wrap[T, P any](payload func(T) *P) func(T, error) (*P, error) {
	return func(v T, err error) (*P, error) {
		if err != nil {
			return nil, err
		}
		return payload(v), nil
	}
}
