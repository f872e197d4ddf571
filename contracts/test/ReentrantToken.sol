// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {TestToken} from '../TestToken.sol';
import {Reentrant} from './Reentrant.sol';

/// @dev Test only: an ERC-20 with a transfer hook (like ERC-777) that re-enters the HTLC before it moves
/// the tokens.
contract ReentrantToken is TestToken, Reentrant {
    function _transfer(address from, address to, uint256 value) internal override {
        _reenter();
        super._transfer(from, to, value);
    }
}
