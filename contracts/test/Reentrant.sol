// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @dev Test only: on its hook, makes one prepared call (`arm`) and records how it ended, so a test can
/// show that the re-entrant call failed and with which error, while the outer call still completes.
abstract contract Reentrant {
    address public target;
    bytes public attack;
    bool public attempted;
    bool public attackSucceeded;
    bytes public attackResult;

    function arm(address target_, bytes calldata attack_) external {
        target = target_;
        attack = attack_;
    }

    function _reenter() internal {
        if (attempted || attack.length == 0) return;
        attempted = true;
        (attackSucceeded, attackResult) = target.call(attack);
    }
}
