// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title swarmswap hash-time-locked contract for native ETH and ERC-20 tokens
/// @notice The ABI, the key and every rule are documented in IHTLC.sol; this contract implements it in
/// assembly behind its fallback because the Solidity dispatcher and ABI decoder cost ~450 gas per call,
/// and gas is what an HTLC competes on. Anyone may send claim or refund: claim pays only `recipient`,
/// refund pays only `sender`, so a third party can only finish a swap the way its terms say. A claim
/// stays possible until the swap is refunded (the Bitcoin hash branch has no time check either).
/// @dev Storage: slot `key` only. Claim and refund zero it (gas refund) before paying out
/// (checks-effects-interactions), so identical terms can be locked again after a swap ends. That is
/// safe: a re-lock after a claim uses a hashlock whose preimage is public, so it is a plain payment to
/// `recipient` (claimable by anyone, but only to `recipient`) or refundable to `sender`; nobody else can
/// take it. Clients never reuse a hashlock.
/// Memory: the fallback never returns to Solidity code, so it uses memory from 0 as scratch; the key's
/// preimage is laid out as abi.encode(hashlock, sender, recipient, token, amount, deadline) at 0x00..0xc0,
/// which puts the Locked event's data (every term but the indexed hashlock) at 0x20..0xc0.
/// Calldata: claim and refund take the sender and token words unchecked; a dirty address word gives a
/// key no lock can have (locks use caller() and reject a dirty token), so it only reverts NotLocked.
contract HTLC {
    // Event topics and error selectors of IHTLC (the function selectors are the `case` literals below);
    // the tests call, decode and filter through the IHTLC ABI, so a wrong constant fails them.
    uint256 private constant LOCKED = 0x63e49682bfc4052d31f92a5c8d0fa441364c1ec4212611fa10c33b87aa7aab48;
    uint256 private constant CLAIMED = 0x445f0307061b8f417525c7e44b238144c3a212d3e16f3a11e6731c7a9f66ae46;
    uint256 private constant REFUNDED = 0x007c875846b687732a7579c19bb1dade66cd14e9f4f809565e2b2b5e76c72b4f;
    uint256 private constant ZERO_AMOUNT = 0x1f2a2005;
    uint256 private constant ZERO_RECIPIENT = 0xd27b4443;
    uint256 private constant DEADLINE_IN_PAST = 0xbec00580;
    uint256 private constant ALREADY_LOCKED = 0x5f0ccd7c;
    uint256 private constant NOT_LOCKED = 0x1834e265;
    uint256 private constant DEADLINE_NOT_REACHED = 0x66ec4ee6;
    uint256 private constant AMOUNT_MISMATCH = 0x55e97b0d;
    uint256 private constant TRANSFER_FAILED = 0x90b8ec18;
    uint256 private constant REENTRANCY = 0xab143c06;

    fallback() external payable {
        assembly {
            function fail(selector) {
                mstore(0, selector)
                revert(0x1c, 4)
            }

            /// Exact ABI length; and no ETH unless the function is payable (it would be stuck).
            function expect(size, payable_) {
                if iszero(eq(calldatasize(), size)) { revert(0, 0) }
                if and(iszero(payable_), callvalue()) { revert(0, 0) }
            }

            /// Checks new terms laid out at 0x20..0xc0 with the hashlock at 0, marks the swap live with the
            /// block number, and emits Locked with the terms as data.
            function open(hashlock) {
                let recipient := mload(0x40)
                if iszero(mload(0x80)) { fail(ZERO_AMOUNT) }
                if iszero(recipient) { fail(ZERO_RECIPIENT) }
                if iszero(gt(mload(0xa0), timestamp())) { fail(DEADLINE_IN_PAST) }
                mstore(0, hashlock)
                let key := keccak256(0, 0xc0)
                if sload(key) { fail(ALREADY_LOCKED) }
                sstore(key, number())
                log2(0x20, 0xa0, LOCKED, hashlock)
            }

            /// Ends the live swap whose terms are at 0x20..0xc0 and hashlock is at 0; returns its key.
            function close() -> key {
                key := keccak256(0, 0xc0)
                if iszero(sload(key)) { fail(NOT_LOCKED) }
                sstore(key, 0)
            }

            /// ETH with all gas (smart-wallet recipients), or ERC-20 `transfer`.
            function pay(token, to, amount) {
                if iszero(token) {
                    if iszero(call(gas(), to, amount, 0, 0, 0, 0)) { fail(TRANSFER_FAILED) }
                    leave
                }
                mstore(0, shl(224, 0xa9059cbb)) // transfer(address,uint256)
                mstore(0x04, to)
                mstore(0x24, amount)
                tokenCall(token, 0x44)
            }

            /// Calls `token` with calldata at 0; accepts `true` or no data (USDT style). Deposits are
            /// proven by the balance check, so an empty answer never counts as a payment on its own.
            function tokenCall(token, size) {
                let ok := call(gas(), token, 0, 0, size, 0, 0x20)
                // Separate statements: Yul evaluates arguments right to left.
                ok := and(ok, or(iszero(returndatasize()), and(gt(returndatasize(), 0x1f), eq(mload(0), 1))))
                if iszero(ok) { fail(TRANSFER_FAILED) }
            }

            /// Also rejects an address without code (it answers with no data).
            function balanceOfSelf(token) -> held {
                mstore(0, shl(224, 0x70a08231)) // balanceOf(address)
                mstore(0x04, address())
                let ok := staticcall(gas(), token, 0, 0x24, 0, 0x20)
                if iszero(and(ok, gt(returndatasize(), 0x1f))) { fail(TRANSFER_FAILED) }
                held := mload(0)
            }

            /// Writes the terms from calldata (sender word, recipientAndDeadline word, token word, amount word)
            /// at 0x20..0xc0, unpacking recipient and deadline.
            function unpackTerms(sender) {
                let recipientAndDeadline := calldataload(0x24)
                mstore(0x20, sender)
                mstore(0x40, and(recipientAndDeadline, 0xffffffffffffffffffffffffffffffffffffffff))
                calldatacopy(0x60, 0x44, 0x40)
                mstore(0xa0, shr(160, recipientAndDeadline))
            }

            switch shr(224, calldataload(0))
            case 0x8957dda4 {
                // claim(sender, recipientAndDeadline, token, amount, preimage): the hottest path first
                expect(0xa4, 0)
                let preimage := calldataload(0x84)
                mstore(0, preimage)
                // sha256 precompile: the hashlock lands at 0, in front of the terms.
                if iszero(staticcall(gas(), 2, 0, 0x20, 0, 0x20)) { revert(0, 0) }
                unpackTerms(calldataload(0x04))
                let hashlock := mload(0)
                let key := close()
                let recipient := mload(0x40)
                mstore(0, key)
                mstore(0x20, preimage)
                log2(0, 0x40, CLAIMED, hashlock)
                pay(mload(0x60), recipient, mload(0x80))
                stop()
            }
            case 0x461dff0d {
                // refund(sender, recipientAndDeadline, token, amount, hashlock)
                expect(0xa4, 0)
                if lt(timestamp(), shr(160, calldataload(0x24))) { fail(DEADLINE_NOT_REACHED) }
                let hashlock := calldataload(0x84)
                mstore(0, hashlock)
                let sender := calldataload(0x04)
                unpackTerms(sender)
                let key := close()
                mstore(0, key)
                log2(0, 0x20, REFUNDED, hashlock)
                pay(mload(0x60), sender, mload(0x80))
                stop()
            }
            case 0x496a36f2 {
                // lock(recipientAndDeadline, hashlock) payable
                expect(0x44, 1)
                let recipientAndDeadline := calldataload(0x04)
                mstore(0x20, caller())
                mstore(0x40, and(recipientAndDeadline, 0xffffffffffffffffffffffffffffffffffffffff))
                // 0x60 (token = ETH) is Solidity's zero slot, still zero here.
                mstore(0x80, callvalue())
                mstore(0xa0, shr(160, recipientAndDeadline))
                open(calldataload(0x24))
                stop()
            }
            case 0x79d20c0d {
                // lockToken(recipientAndDeadline, token, amount, hashlock)
                expect(0x84, 0)
                // A token with transfer hooks (ERC-777 style) could otherwise re-enter lockToken inside
                // transferFrom and have one deposit counted by two balance checks. Cleared before stop.
                if tload(0) { fail(REENTRANCY) }
                tstore(0, 1)
                let recipientAndDeadline := calldataload(0x04)
                let token := calldataload(0x24)
                let amount := calldataload(0x44)
                if shr(160, token) { revert(0, 0) }
                mstore(0x20, caller())
                mstore(0x40, and(recipientAndDeadline, 0xffffffffffffffffffffffffffffffffffffffff))
                mstore(0x60, token)
                mstore(0x80, amount)
                mstore(0xa0, shr(160, recipientAndDeadline))
                open(calldataload(0x64))
                let before := balanceOfSelf(token)
                mstore(0, shl(224, 0x23b872dd)) // transferFrom(address,address,uint256)
                mstore(0x04, caller())
                mstore(0x24, address())
                mstore(0x44, amount)
                tokenCall(token, 0x64)
                if iszero(eq(sub(balanceOfSelf(token), before), amount)) { fail(AMOUNT_MISMATCH) }
                tstore(0, 0)
                stop()
            }
            case 0xe7bdcac9 {
                // lockedAt(key) view
                expect(0x24, 0)
                mstore(0, sload(calldataload(0x04)))
                return(0, 0x20)
            }
            default { revert(0, 0) }
        }
    }
}
