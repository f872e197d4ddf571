// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title ABI of the swarmswap HTLC (contracts/HTLC.sol implements it in assembly behind its fallback)
/// @notice A swap is identified by
///   key = keccak256(abi.encode(hashlock, sender, recipient, token, amount, deadline))
/// and its only state is the storage slot numbered `key`: the block number of the lock while the swap
/// is live, zero before the lock and after the claim or refund. `token == address(0)` means native ETH.
/// The preimage is exactly 32 bytes and `hashlock == sha256(preimage)`, as in the Bitcoin script.
/// Calldata packs recipient and deadline into one word, `recipientAndDeadline = deadline << 160 | recipient`
/// (deadline < 2^96), which saves ~130 gas per call; events and the key use the plain fields. Every
/// function takes the terms in the same order and the hashlock (or preimage) last; calldata must have
/// exactly the ABI length and non-payable functions reject ETH, both with an empty revert.
interface IHTLC {
    /// @dev The data carries every term, so a counterparty audits a lock from the event alone.
    event Locked(
        bytes32 indexed hashlock,
        address sender,
        address recipient,
        address token,
        uint256 amount,
        uint256 deadline
    );
    /// @dev `key` tells which swap of this hashlock ended; the preimage is the secret for the other chain.
    event Claimed(bytes32 indexed hashlock, bytes32 key, bytes32 preimage);
    event Refunded(bytes32 indexed hashlock, bytes32 key);

    error ZeroAmount();
    error ZeroRecipient();
    error DeadlineInPast();
    error AlreadyLocked();
    error NotLocked();
    error DeadlineNotReached();
    /// @dev The token moved a different amount than asked (fee-on-transfer, rebasing).
    error AmountMismatch();
    error TransferFailed();
    error Reentrancy();

    /// @notice Locks `msg.value` wei from msg.sender for `recipient` until `deadline` (unix seconds).
    function lock(uint256 recipientAndDeadline, bytes32 hashlock) external payable;

    /// @notice Locks `amount` of `token` (approved beforehand) from msg.sender. The contract's balance must
    /// grow by exactly `amount`, which rejects fee-on-transfer and rebasing tokens.
    function lockToken(uint256 recipientAndDeadline, address token, uint256 amount, bytes32 hashlock) external;

    /// @notice Pays a live swap to its recipient, whoever sends it; hashlock = sha256(preimage).
    function claim(address sender, uint256 recipientAndDeadline, address token, uint256 amount, bytes32 preimage)
        external;

    /// @notice Pays a live swap back to its sender, whoever sends it, once block.timestamp >= deadline.
    function refund(address sender, uint256 recipientAndDeadline, address token, uint256 amount, bytes32 hashlock)
        external;

    /// @notice The lock's block number while the swap with this key is live, zero otherwise.
    function lockedAt(bytes32 key) external view returns (uint256);
}
