// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {TestToken} from '../TestToken.sol';

/// @dev Test only: burns 1% of every transfer, so the receiver gets less than `value`.
contract FeeOnTransferToken is TestToken {
    function _transfer(address from, address to, uint256 value) internal override {
        uint256 fee = value / 100;
        super._transfer(from, to, value - fee);
        if (fee != 0) super._transfer(from, address(0), fee);
    }
}
