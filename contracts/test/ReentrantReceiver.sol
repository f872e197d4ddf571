// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Reentrant} from './Reentrant.sol';

/// @dev Test only: a swap party (sender or recipient) that re-enters the HTLC when it receives ETH.
/// `execute` lets it act as a swap sender (lock from this contract).
contract ReentrantReceiver is Reentrant {
    receive() external payable {
        _reenter();
    }

    function execute(address to, bytes calldata data) external payable {
        (bool ok, bytes memory ret) = to.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
