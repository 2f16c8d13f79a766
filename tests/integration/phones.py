"""pjsua2 soft phones for integration tests: register, call, answer, count the audio they receive.

pjsua2 has one library instance per process, polled from the test's thread (no threads of its own).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import pjsua2 as pj


class PhoneCall(pj.Call):  # type: ignore[misc]
    def __init__(self, account: pj.Account, call_id: int = pj.PJSUA_INVALID_ID) -> None:
        super().__init__(account, call_id)
        self.state = pj.PJSIP_INV_STATE_NULL
        self.last_status = 0

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        self.state = info.state
        self.last_status = info.lastStatusCode

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        return None

    def received_packets(self) -> int:
        """RTP packets received so far on the audio stream (0 before media starts or after it ends)."""
        try:
            return int(self.getStreamStat(0).rtcp.rxStat.pkt)
        except pj.Error:
            return 0

    @property
    def disconnected(self) -> bool:
        return bool(self.state == pj.PJSIP_INV_STATE_DISCONNECTED)


class PhoneAccount(pj.Account):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.registration_status = 0

    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        self.registration_status = prm.code


class Phones:
    def __init__(self) -> None:
        self.endpoint = pj.Endpoint()
        self.endpoint.libCreate()
        config = pj.EpConfig()
        config.logConfig.level = 1
        config.logConfig.consoleLevel = 1
        config.uaConfig.threadCnt = 0
        config.uaConfig.mainThreadOnly = True
        config.uaConfig.userAgent = "cc12348-test-phone"
        self.endpoint.libInit(config)
        transport = pj.TransportConfig()
        transport.port = 0
        transport.boundAddress = "127.0.0.1"
        self.endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        self.endpoint.libStart()
        self.endpoint.audDevManager().setNullDev()
        self._accounts: list[PhoneAccount] = []
        self._calls: list[PhoneCall] = []

    def register(self, server: str, username: str, password: str, number: str) -> PhoneAccount:
        config = pj.AccountConfig()
        config.idUri = f"sip:{number}@127.0.0.1"
        config.regConfig.registrarUri = f"sip:{server}"
        config.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", username, 0, password))
        account = PhoneAccount()
        account.create(config)
        self._accounts.append(account)
        self.wait_for(lambda: account.registration_status != 0, 10)
        return account

    def call(self, account: PhoneAccount, uri: str) -> PhoneCall:
        call = PhoneCall(account)
        parameters = pj.CallOpParam(True)
        call.makeCall(uri, parameters)
        self._calls.append(call)
        return call

    def wait_for(self, condition: Callable[[], object], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"phone condition not met within {seconds} s")
            self.endpoint.libHandleEvents(10)

    def close(self) -> None:
        self.endpoint.hangupAllCalls()
        for _ in range(50):
            self.endpoint.libHandleEvents(10)
        for account in self._accounts:
            account.shutdown()
        # pjsua2 objects must go before the library does, or their destructors abort the process.
        self._calls.clear()
        self._accounts.clear()
        gc.collect()
        self.endpoint.libDestroy()
