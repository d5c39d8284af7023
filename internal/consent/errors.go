package consent

import "errors"

// Every refusal wraps exactly one of these (test with errors.Is), with detail
// that names what differed but never a token or an argument's value.
var (
	// ErrForged: the token is malformed or its signature does not verify.
	ErrForged = errors.New("consent token is forged or malformed")
	// ErrUnknown: no confirmation or approval has the token's or the given id.
	ErrUnknown = errors.New("no such confirmation or approval")
	// ErrArgsChanged: the call's arguments are not the ones consented to.
	ErrArgsChanged = errors.New("the arguments differ from the ones consented to")
	// ErrOtherPrincipal: the consent was given to someone else.
	ErrOtherPrincipal = errors.New("the consent was given to another principal")
	// ErrOtherAction: the consent was given for another action.
	ErrOtherAction = errors.New("the consent was given for another action")
	// ErrOtherProject: the consent was given for another project.
	ErrOtherProject = errors.New("the consent was given for another project")
	// ErrExpired: the consent's time ran out.
	ErrExpired = errors.New("the consent has expired")
	// ErrUsed: the consent was used already; each is good for one call.
	ErrUsed = errors.New("the consent was already used")
	// ErrDenied: an approver (or the requester) denied the request.
	ErrDenied = errors.New("the approval request was denied")
	// ErrPending: nobody has approved the request yet.
	ErrPending = errors.New("the approval request is still pending")
	// ErrNotEnoughApprovals: some, but not all, of the needed approvals are in.
	ErrNotEnoughApprovals = errors.New("the approval request does not have enough approvals yet")
	// ErrSelfApproval: requesters cannot approve their own request.
	ErrSelfApproval = errors.New("a requester cannot approve their own request")
	// ErrNotApprover: none of the approver's identities is on the request's list.
	ErrNotApprover = errors.New("not an approver for this request")
	// ErrAlreadyApproved: this approver approved the request already.
	ErrAlreadyApproved = errors.New("this approver already approved the request")
	// ErrFullyApproved: the request has all the approvals it needs.
	ErrFullyApproved = errors.New("the approval request already has the approvals it needs")
)
